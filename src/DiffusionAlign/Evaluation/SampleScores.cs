using DiffusionAlign.Imaging;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Evaluation;

/// <summary>
/// One model's samples scored by the shapes world: reward and judge per sample, how far each moves when the
/// sample is requantised (<see cref="DitheredRequantisation"/>, for <see cref="ScoreResolution"/>), and the
/// share of samples whose shape colour reads back as the prompt's.
/// </summary>
internal sealed record SampleScores(
    double[] Reward, double[] Judge, double[] RewardJitter, double[] JudgeJitter, double ColourAccuracy)
{
    /// <summary>Scores every image and its requantised copy with the world's reward and judge.</summary>
    /// <param name="prompts">The prompt of each sample, same order as <paramref name="images"/>.</param>
    /// <param name="seed">The evaluation seed: sample i's dither is the same for every model.</param>
    /// <param name="cancel">Checked before each sample.</param>
    public static SampleScores Of(ShapesWorld world, IReadOnlyList<ShapesPrompt> prompts, RgbImage[] images,
        long seed, CancellationToken cancel)
    {
        int n = images.Length;
        var reward = new double[n];
        var judge = new double[n];
        var rewardJitter = new double[n];
        var judgeJitter = new double[n];
        int colourRight = 0;
        for (int i = 0; i < n; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var requantised = DitheredRequantisation.Apply(images[i], DitheredRequantisation.SeedFor(seed, i));
            reward[i] = world.Reward.Score(prompts[i], images[i]);
            judge[i] = world.Judge.Score(prompts[i], images[i]);
            rewardJitter[i] = Math.Abs(reward[i] - world.Reward.Score(prompts[i], requantised));
            judgeJitter[i] = Math.Abs(judge[i] - world.Judge.Score(prompts[i], requantised));
            if (world.Inspector.Inspect(images[i]).ShapeColour == prompts[i].ShapeColour) colourRight++;
        }
        return new SampleScores(reward, judge, rewardJitter, judgeJitter, (double)colourRight / n);
    }
}
