using DiffusionAlign.Imaging;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Evaluation;

/// <summary>
/// One model's samples scored by the shapes world: reward and judge per sample, how far each moves when the
/// sample is requantised (<see cref="DitheredRequantisation"/>, for <see cref="ScoreResolution"/>), and whether
/// its shape colour reads back as the prompt's.
/// </summary>
internal sealed record SampleScores(
    double[] Reward, double[] Judge, double[] RewardJitter, double[] JudgeJitter, bool[] ColourRight)
{
    /// <summary>The share of samples whose shape colour reads back as the prompt's.</summary>
    public double ColourAccuracy => (double)ColourRight.Count(right => right) / ColourRight.Length;

    /// <summary>
    /// Scores every image and its requantised copy with the world's reward and judge. A null image is another
    /// process's sample (<see cref="EvaluationShards"/>): its scores stay zero until they are gathered.
    /// </summary>
    /// <param name="prompts">The prompt of each sample, same order as <paramref name="images"/>.</param>
    /// <param name="seed">The evaluation seed: sample i's dither is the same for every model.</param>
    /// <param name="cancel">Checked before each sample.</param>
    public static SampleScores Of(ShapesWorld world, IReadOnlyList<ShapesPrompt> prompts,
        IReadOnlyList<RgbImage?> images, long seed, CancellationToken cancel)
    {
        int n = images.Count;
        var reward = new double[n];
        var judge = new double[n];
        var rewardJitter = new double[n];
        var judgeJitter = new double[n];
        var colourRight = new bool[n];
        for (int i = 0; i < n; i++)
        {
            cancel.ThrowIfCancellationRequested();
            if (images[i] is not { } image) continue;
            var requantised = DitheredRequantisation.Apply(image, DitheredRequantisation.SeedFor(seed, i));
            reward[i] = world.Reward.Score(prompts[i], image);
            judge[i] = world.Judge.Score(prompts[i], image);
            rewardJitter[i] = Math.Abs(reward[i] - world.Reward.Score(prompts[i], requantised));
            judgeJitter[i] = Math.Abs(judge[i] - world.Judge.Score(prompts[i], requantised));
            colourRight[i] = world.Inspector.Inspect(image).ShapeColour == prompts[i].ShapeColour;
        }
        return new SampleScores(reward, judge, rewardJitter, judgeJitter, colourRight);
    }
}
