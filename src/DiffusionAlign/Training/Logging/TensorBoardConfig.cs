using DiffusionAlign.Pipelines;
using DiffusionAlign.Sampling;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Training.Logging;

/// <summary>
/// What a <see cref="TensorBoardLogger"/> writes and where: the training scalars of every logged step, and every
/// <see cref="ValidationEvery"/> steps (and at the last step) a grid of samples of <see cref="ValidationPrompts"/>,
/// each cell from the same initial noise at every step, as diffusers' <c>--validation_steps</c> does.
/// </summary>
public sealed record TensorBoardConfig
{
    /// <summary>Name of the default log folder (<c>dalign align</c> puts it in the run's output folder).</summary>
    public const string DefaultLogFolderName = "logs";

    /// <summary>The folder the event files (and the grids as PNG) go to; a resumed run keeps writing there.</summary>
    public string LogDir { get; init; } = DefaultLogFolderName;

    /// <summary>Sample the validation grid every this many optimizer steps and at the last one (0 = never).</summary>
    public int ValidationEvery { get; init; } = 50;

    /// <summary>
    /// The grid's prompts, one row each; empty = no grid. <see cref="DefaultValidationPrompts"/> gives the shapes
    /// world's.
    /// </summary>
    public IReadOnlyList<string> ValidationPrompts { get; init; } = [];

    /// <summary>Columns of the grid: samples per prompt, column j from initial noise j for every prompt.</summary>
    public int SamplesPerPrompt { get; init; } = 4;

    /// <summary>How the grid is sampled: what the shapes world's evaluations use, cheap enough to run often.</summary>
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Fast;

    /// <summary>Seed of the grid's initial noise, drawn once per run: a cell is comparable across steps.</summary>
    public long Seed { get; init; }

    /// <summary>
    /// Cells are enlarged by the largest whole factor (nearest neighbour) that keeps them at most this wide, so
    /// small samples stay visible.
    /// </summary>
    public int MinimumCellSide { get; init; } = 128;

    /// <summary>How many shapes-world validation prompts <see cref="DefaultValidationPrompts"/> uses.</summary>
    public const int DefaultPromptCount = 4;

    /// <summary>
    /// The grid's default prompts for <paramref name="model"/>: for a shapes-world model the first
    /// <see cref="DefaultPromptCount"/> prompts of the world's validation split (never trained on, never test
    /// prompts); for any other model none, since only the user knows which prompts it should be judged on.
    /// </summary>
    public static IReadOnlyList<string> DefaultValidationPrompts(TextToImageModel model) =>
        model.Config.Tokenizer == ShapesTokenizer.RegistryName
            ? [.. new PromptSplit().Validation.Take(DefaultPromptCount).Select(p => p.ToString())]
            : [];

    /// <summary>Whether this config samples grids at all.</summary>
    public bool SamplesGrids => ValidationEvery > 0 && ValidationPrompts.Count > 0;

    /// <exception cref="InvalidSettingException">A setting outside its range, named by its property.</exception>
    public void Validate()
    {
        InvalidSettingException.Check(!string.IsNullOrWhiteSpace(LogDir), nameof(LogDir), "must name a folder");
        InvalidSettingException.Check(ValidationEvery >= 0, nameof(ValidationEvery),
            $"must be >= 0, got {ValidationEvery}");
        InvalidSettingException.Check(ValidationPrompts.All(p => !string.IsNullOrWhiteSpace(p)),
            nameof(ValidationPrompts), "must not be empty or blank");
        InvalidSettingException.Check(SamplesPerPrompt >= 1, nameof(SamplesPerPrompt),
            $"must be at least 1, got {SamplesPerPrompt}");
        InvalidSettingException.Check(MinimumCellSide >= 1, nameof(MinimumCellSide),
            $"must be at least 1, got {MinimumCellSide}");
        Sampling.Validate();
    }
}
