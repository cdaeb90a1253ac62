using System.Globalization;
using DiffusionAlign.Imaging;
using DiffusionAlign.Pipelines;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Training.Logging;

/// <summary>
/// Logs an alignment run to TensorBoard event files with TorchSharp's <c>SummaryWriter</c>: every logged step's
/// numbers under <c>train/</c> with their <c>metrics.jsonl</c> names (<c>train/loss</c>, <c>train/implicit_acc</c>,
/// ...), and the <see cref="ValidationGrid"/> under <see cref="GridTag"/> every
/// <see cref="TensorBoardConfig.ValidationEvery"/> steps and at the last. Each grid is also saved as a PNG in
/// <c>validation/</c> of the log folder, which is what the writer embeds: its tensor overload converts bare numbers
/// to Scalars inside TorchSharp (docs/build-notes.md, "Implicit Scalars"), its file overload does not.
/// </summary>
public sealed class TensorBoardLogger : ITrainingObserver, IDisposable
{
    /// <summary>Prefix of the scalar tags; the rest is the metric's name in <c>metrics.jsonl</c>.</summary>
    public const string ScalarPrefix = "train/";

    /// <summary>Tag of the validation grid images.</summary>
    public const string GridTag = "validation/samples";

    /// <summary>Tag of the text naming the grid's rows, written when a run starts or resumes.</summary>
    public const string PromptsTag = "validation/prompts";

    /// <summary>The subfolder of the log folder holding the grids as PNG files.</summary>
    public const string GridFolderName = "validation";

    private readonly TensorBoardConfig _config;
    private readonly ValidationGrid? _grid;
    private SummaryWriter? _writer;
    private int _totalSteps;
    private int _lastGridStep = -1;

    /// <summary>
    /// Checks the config and, if it samples grids, draws their noise for <paramref name="model"/> (the policy, or a
    /// model of the same shape). Nothing is written before <see cref="RunStarted"/>.
    /// </summary>
    /// <exception cref="InvalidSettingException">A setting outside its range.</exception>
    /// <exception cref="DiffusionAlignException">A validation prompt the model cannot encode.</exception>
    public TensorBoardLogger(TensorBoardConfig config, TextToImageModel model)
    {
        config.Validate();
        _config = config;
        if (config.SamplesGrids)
            _grid = new ValidationGrid(model, config.ValidationPrompts, config.SamplesPerPrompt, config.Sampling,
                config.Seed, config.MinimumCellSide);
    }

    public string LogDir => _config.LogDir;

    /// <summary>
    /// Opens a new event file in the log folder. On a resume, what the interrupted run logged after its checkpoint
    /// is dropped from the older files first, so every step appears once.
    /// </summary>
    public void RunStarted(int startStep, int totalSteps)
    {
        _totalSteps = totalSteps;
        if (startStep > 0) TensorBoardEventFile.TruncateAfter(LogDir, startStep);
        Directory.CreateDirectory(LogDir);
        _writer = utils.tensorboard.SummaryWriter(LogDir);
        if (_grid is not null)
            _writer.add_text(PromptsTag, "rows, top to bottom: " + string.Join("; ", _grid.Prompts), startStep);
    }

    /// <summary>Writes the report's loss, learning rate, throughput and metrics at its step.</summary>
    public void StepLogged(TrainingStepReport report)
    {
        var writer = Writer();
        writer.add_scalar(ScalarPrefix + PreferenceTrainer.LossName, (float)report.Loss, report.Step);
        writer.add_scalar(ScalarPrefix + PreferenceTrainer.LearningRateName, (float)report.LearningRate,
            report.Step);
        writer.add_scalar(ScalarPrefix + PreferenceTrainer.ThroughputName, (float)report.ExamplesPerSecond,
            report.Step);
        foreach (var (name, value) in report.Metrics) writer.add_scalar(ScalarPrefix + name, (float)value, report.Step);
    }

    /// <summary>Samples and writes the validation grid on its steps and at the last step.</summary>
    public void StepFinished(int step, TextToImageModel policy)
    {
        if (_grid is null || step == _lastGridStep) return;
        if (step % _config.ValidationEvery != 0 && step != _totalSteps) return;
        var writer = Writer();
        string path = GridPath(LogDir, step);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        ImageCodec.SavePng(_grid.Render(policy), path);
        writer.add_img(GridTag, path, step);
        _lastGridStep = step;
    }

    /// <summary>Where the grid of <paramref name="step"/> is saved as PNG.</summary>
    public static string GridPath(string logDir, int step) =>
        Path.Combine(logDir, GridFolderName, $"step-{step.ToString("D6", CultureInfo.InvariantCulture)}.png");

    /// <summary>
    /// Deletes what a run logged in <paramref name="logDir"/> (its event files and grids), for a new run that
    /// replaces it; other files are left alone.
    /// </summary>
    public static void DeleteRun(string logDir)
    {
        foreach (string path in TensorBoardEventFile.In(logDir)) File.Delete(path);
        string grids = Path.Combine(logDir, GridFolderName);
        if (!Directory.Exists(grids)) return;
        foreach (string path in Directory.EnumerateFiles(grids, "step-*.png")) File.Delete(path);
    }

    /// <summary>The writer closes its file after every event, so only the grid's noise needs freeing.</summary>
    public void Dispose() => _grid?.Dispose();

    private SummaryWriter Writer() =>
        _writer ?? throw new InvalidOperationException($"{nameof(RunStarted)} must come first");
}
