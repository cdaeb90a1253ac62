using DiffusionAlign.Imaging;

namespace DiffusionAlign.Worlds.Shapes;

/// <summary>
/// The shapes world in one place: the built-in default data set (prompts, split, renderer) and its
/// hidden ground truth (reward, inspector), plus the tokenizer for its prompts. Needs no files:
/// training images are rendered on the fly.
/// </summary>
public sealed class ShapesWorld
{
    /// <param name="maxPromptTokens">Length of the tokenizer's encodings.</param>
    public ShapesWorld(int maxPromptTokens = 10)
    {
        Tokenizer = new ShapesTokenizer(maxPromptTokens);
    }

    /// <summary>Every prompt, and which are for training and which held out.</summary>
    public PromptSplit Split { get; } = new();

    public ShapesRenderer Renderer { get; } = new();

    /// <summary>The ground-truth reward used to label preference pairs and to evaluate.</summary>
    public ShapesReward Reward { get; } = new();

    public ShapesInspector Inspector { get; } = new();

    /// <summary>
    /// A second judge, independent of <see cref="Reward"/> and never used in training, for reporting win
    /// rates besides the reward's (see <see cref="ShapesJudge"/>).
    /// </summary>
    public ShapesJudge Judge { get; } = new();

    public ShapesTokenizer Tokenizer { get; }

    /// <summary>
    /// A training prompt drawn uniformly from <see cref="PromptSplit.Train"/> and a render of it,
    /// flawed with probability <paramref name="flawProbability"/> (see <see cref="ShapesRenderer.SampleParams"/>).
    /// Deterministic for a given <paramref name="rng"/> state.
    /// </summary>
    public (ShapesPrompt Prompt, RgbImage Image) SampleTrainingExample(
        Random rng, double flawProbability = 0.5, int size = 32)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ShapesPrompt prompt = Split.Train[rng.Next(Split.Train.Count)];
        return (prompt, Renderer.Render(Renderer.SampleParams(prompt, rng, flawProbability), size));
    }
}
