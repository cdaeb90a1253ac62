// The contract every reward model meets: prompts and images in, one score each out.
using DiffusionAlign.Imaging;

namespace DiffusionAlign.Rewards;

/// <summary>
/// A reward model: scores how much a rater would like each image for its prompt, one number per (prompt, image).
/// Higher is better; only differences between scores for the same prompt are meaningful to the Bradley–Terry
/// rule that labels pairs with it, <c>P(a ≻ b) = σ((r_a − r_b)/τ)</c>, so each model keeps its own scale.
/// </summary>
public interface IRewardModel : IDisposable
{
    /// <summary>A short name for logs and result files (the true reward's, or a learned model's folder).</summary>
    string Name { get; }

    /// <summary>
    /// The square image side the model scores at; images of another size are centre-cropped and resized to it
    /// first. Null: any size of at least 8×8 pixels is scored as it is.
    /// </summary>
    int? ImageSize { get; }

    /// <summary>One score per (prompt, image), in order.</summary>
    /// <exception cref="DiffusionAlignException">A prompt the model cannot read (for example an unknown word).
    /// </exception>
    double[] Score(IReadOnlyList<string> prompts, IReadOnlyList<RgbImage> images);
}
