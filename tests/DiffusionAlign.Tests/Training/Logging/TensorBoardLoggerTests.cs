using System.Text.Json;
using DiffusionAlign.Imaging;
using DiffusionAlign.Objectives;
using DiffusionAlign.Sampling;
using DiffusionAlign.Training;
using DiffusionAlign.Training.Logging;
using Tensorboard;

namespace DiffusionAlign.Tests.Training.Logging;

public sealed class TensorBoardLoggerTests
{
    private static readonly string[] Prompts =
        ["a red circle on a blue background", "a green square on a white background"];

    private static AlignConfig Recipe(int steps) => AlignConfig.DefaultsFor(AlignMethod.Dpo) with
    {
        Steps = steps, BatchSize = 2, WarmupSteps = 0, LearningRate = 1e-3, CheckpointEvery = 0, Seed = 4,
    };

    private static TensorBoardConfig Config(string logDir, int every) => new()
    {
        LogDir = logDir, ValidationEvery = every, ValidationPrompts = Prompts, SamplesPerPrompt = 3,
    };

    [Fact]
    public void EveryLoggedStepAndEachGridReadBackAsMetricsJsonlHasThem()
    {
        var pairs = PreferenceTrainerTests.RendererPairs(8);
        using var dir = new TestModels.TempDir();
        string logs = Path.Combine(dir.Path, "logs"), metrics = Path.Combine(dir.Path, "metrics.jsonl");
        using var model = TestModels.Micro(seed: 1);
        using (var logger = new TensorBoardLogger(Config(logs, every: 2), model))
            PreferenceTrainer.Run(model, pairs, Recipe(5), Path.Combine(dir.Path, "ckpt"), metrics, resume: false,
                observer: logger);

        var log = new EventLog(logs);
        Assert.Single(log.Files);
        Assert.Equal(["brain.Event:2"], log.Versions);
        // Every number of every metrics.jsonl line is a scalar at that line's step, with the same value.
        var lines = File.ReadAllLines(metrics).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(5, lines.Count);
        var names = lines[0].EnumerateObject().Select(p => p.Name)
            .Where(n => n is not "step" and not "skipped_nonfinite_steps").ToList();
        Assert.Contains(PreferenceTrainer.GradNorm, names);
        Assert.Contains(ObjectiveMetrics.ImplicitAccuracy, names);
        foreach (string name in names)
        {
            Assert.Equal(new long[] { 1, 2, 3, 4, 5 }, log.StepsOf("train/" + name));
            foreach (var line in lines)
                Assert.Equal((float)line.GetProperty(name).GetDouble(),
                    log.ValueAt("train/" + name, line.GetProperty("step").GetInt32()));
        }
        Assert.True(log.ValueAt("train/grad_norm", 1) > 0);

        // Grids at the steps of --validation-every and at the last: 2 prompts × 3 noises of 16 px, enlarged 8×.
        Assert.Equal(new long[] { 2, 4, 5 },
            log.Images.Where(i => i.Tag == TensorBoardLogger.GridTag).Select(i => i.Step));
        var step2 = log.ImageAt(TensorBoardLogger.GridTag, 2);
        var step4 = log.ImageAt(TensorBoardLogger.GridTag, 4);
        Assert.Equal((8 * (3 * 18 + 2), 8 * (2 * 18 + 2)), (step2.Width, step2.Height));
        Assert.NotEqual(step2.Pixels, step4.Pixels); // training moved the model, and the grid shows it
        // The logged image is the PNG kept beside the events.
        var saved = ImageCodec.Load(TensorBoardLogger.GridPath(logs, 4));
        Assert.True(saved.Pixels.Zip(step4.Pixels).Max(p => Math.Abs(p.First - p.Second)) <= 1.5f / 255);
    }

    [Fact]
    public void SamplingTheGridChangesNeitherTrainingNorTheModelsModes()
    {
        var pairs = PreferenceTrainerTests.RendererPairs(8);
        using var dir = new TestModels.TempDir();
        using var start = TestModels.Micro(seed: 2);
        using var plain = start.Copy();
        using var watched = start.Copy();
        PreferenceTrainer.Run(plain, pairs, Recipe(3), Path.Combine(dir.Path, "a"), Path.Combine(dir.Path, "a.jsonl"),
            resume: false);
        using (var logger = new TensorBoardLogger(Config(Path.Combine(dir.Path, "logs"), every: 1), watched))
            PreferenceTrainer.Run(watched, pairs, Recipe(3), Path.Combine(dir.Path, "b"),
                Path.Combine(dir.Path, "b.jsonl"), resume: false, observer: logger);

        Assert.Equal(3, new EventLog(Path.Combine(dir.Path, "logs")).Images.Count);
        var a = plain.StateTensors();
        var b = watched.StateTensors();
        foreach (var key in a.Keys)
            Assert.Equal(a[key].contiguous().data<float>().ToArray(), b[key].contiguous().data<float>().ToArray());
        Assert.True(watched.Unet.training);
        Assert.False(watched.TextEncoder.training);
    }

    [Fact]
    public void TheGridIsDrawnFromFixedNoise()
    {
        using var model = TestModels.Micro(seed: 3);
        using var other = TestModels.Micro(seed: 4);
        using var grid = new ValidationGrid(model, Prompts, 2, SamplingOptions.Fast, seed: 7);
        using var again = new ValidationGrid(model, Prompts, 2, SamplingOptions.Fast, seed: 7);
        model.Unet.train();
        var first = grid.Render(model);
        Assert.True(model.Unet.training);
        Assert.Equal(first.Pixels, grid.Render(model).Pixels);
        Assert.Equal(first.Pixels, again.Render(model).Pixels);
        Assert.NotEqual(first.Pixels, grid.Render(other).Pixels);
        Assert.Equal(((2 * 18 + 2), (2 * 18 + 2)), (first.Width, first.Height));
    }

    [Fact]
    public void AResumedRunLogsEachStepOnceAcrossItsEventFiles()
    {
        using var dir = new TestModels.TempDir();
        using var model = TestModels.Micro();
        var config = Config(dir.Path, every: 0);
        static TrainingStepReport Report(int step, double loss) =>
            new(step, 6, loss, 1e-3, 10, new Dictionary<string, double>());
        using (var crashed = new TensorBoardLogger(config, model))
        {
            crashed.RunStarted(0, 6);
            for (int step = 1; step <= 5; step++) crashed.StepLogged(Report(step, 1.0));
        }
        // The checkpoint was at step 3: steps 4 and 5 are trained, and logged, again.
        using (var resumed = new TensorBoardLogger(config, model))
        {
            resumed.RunStarted(3, 6);
            for (int step = 4; step <= 6; step++) resumed.StepLogged(Report(step, 2.0));
        }
        var log = new EventLog(dir.Path);
        Assert.Equal(2, log.Files.Count);
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6 }, log.StepsOf("train/loss").Order());
        Assert.Equal(1.0f, log.ValueAt("train/loss", 3));
        Assert.Equal(2.0f, log.ValueAt("train/loss", 4));
    }

    [Fact]
    public void ACorruptRecordIsRefusedAndACutShortOneEndsTheFile()
    {
        using var dir = new TestModels.TempDir();
        string path = Path.Combine(dir.Path, "events.out.tfevents.1");
        using (var stream = File.Create(path))
            for (int step = 1; step <= 2; step++)
            {
                var summary = new Summary();
                summary.Value.Add(new Summary.Types.Value { Tag = "x", SimpleValue = step });
                TensorBoardEventFile.WriteRecord(stream, new Event { Step = step, Summary = summary });
            }
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(2, TensorBoardEventFile.Read(path).Count);

        File.WriteAllBytes(path, bytes[..^3]);
        Assert.Equal(new long[] { 1 }, TensorBoardEventFile.Read(path).Select(e => e.Step));

        bytes[14] ^= 0x40; // a byte of the first event's data
        File.WriteAllBytes(path, bytes);
        Assert.Throws<InvalidDataException>(() => TensorBoardEventFile.Read(path));
    }
}
