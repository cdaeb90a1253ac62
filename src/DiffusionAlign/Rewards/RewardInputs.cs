// Checks and resizing shared by every reward model's Score, so each model states its input rules once.
using DiffusionAlign.Imaging;

namespace DiffusionAlign.Rewards;

/// <summary>What <see cref="IRewardModel.Score"/> implementations do to their inputs before scoring.</summary>
public static class RewardInputs
{
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    public static void CheckCounts(IReadOnlyList<string> prompts, IReadOnlyList<RgbImage> images)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(images);
        if (prompts.Count != images.Count)
            throw new ArgumentException(
                $"{prompts.Count} prompts but {images.Count} images; give one prompt per image");
    }

    /// <summary>The images at <paramref name="size"/>×<paramref name="size"/> (centre-cropped and resized if needed).
    /// </summary>
    public static IReadOnlyList<RgbImage> AtSize(IReadOnlyList<RgbImage> images, int size) =>
        images.All(i => i.Width == size && i.Height == size)
            ? images
            : images.Select(i => i.Width == size && i.Height == size ? i : ImageResize.ToSquare(i, size)).ToArray();
}
