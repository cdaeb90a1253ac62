using System.Collections.Concurrent;
using System.Globalization;
using DiffusionAlign.Data;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// Shared by the kill tests: a micro model and renderer pairs on disk, the tiny recipes they run, and each
/// recipe's uninterrupted run (made once: its weights are what every resumed run must reproduce bit for bit, its
/// wall time spreads the timed kills).
/// </summary>
public sealed class KillResumeFixture : IDisposable
{
    public const int AlignSteps = 16;
    public const int CheckpointEvery = 2;
    public const int PretrainSteps = 8;

    private readonly TestModels.TempDir _root = new();
    private readonly Lazy<(string Model, string Pairs)> _inputs;
    private readonly ConcurrentDictionary<string, Lazy<(string Out, TimeSpan Time)>> _references = new();

    public KillResumeFixture() => _inputs = new(WriteInputs);

    /// <summary>A fresh folder under the fixture's temp root.</summary>
    public string NewFolder(string name)
    {
        string dir = Path.Combine(_root.Path, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// A short full fine-tune: 16 steps of 2 pairs, a checkpoint every 2 steps, metrics every step, one LibTorch
    /// thread (the same in every run, so the kernels' summation order is too).
    /// </summary>
    public IReadOnlyList<string> AlignArgs(string method, string outDir) =>
    [
        "align", "--method", method, "--model", _inputs.Value.Model, "--pairs", _inputs.Value.Pairs, "--out", outDir,
        "--steps", Text(AlignSteps), "--batch", "2", "--checkpoint-every", Text(CheckpointEvery), "--log-every", "1",
        "--warmup", "2", "--lr", "1e-3", "--seed", "11", "--threads", "1",
    ];

    /// <summary>
    /// A short pretrain of the shapes model. pretrain has no --checkpoint-every (its recipe saves every 500
    /// steps), so the only checkpoint of so short a run is the one every run ends with.
    /// </summary>
    public static IReadOnlyList<string> PretrainArgs(string outDir) =>
    [
        "pretrain", "--out", outDir, "--steps", Text(PretrainSteps), "--batch", "2", "--warmup", "0", "--seed", "5",
        "--threads", "1",
    ];

    /// <summary>The uninterrupted run of <paramref name="args"/> (made on first use) and its wall time.</summary>
    public (string Out, TimeSpan Time) Reference(string name, Func<string, IReadOnlyList<string>> args) =>
        _references.GetOrAdd(name, _ => new(() =>
        {
            string outDir = Path.Combine(NewFolder("reference-" + name), "out");
            using var child = KillResumeChild.Start(args(outDir));
            child.WaitForExit();
            Assert.True(child.ExitCode == 0, $"the uninterrupted {name} run failed:\n{child.Stderr}");
            return (outDir, child.Clock.Elapsed);
        })).Value;

    public void Dispose() => _root.Dispose();

    private (string Model, string Pairs) WriteInputs()
    {
        string model = Path.Combine(_root.Path, "model");
        var micro = TestModels.MicroConfig(new ShapesWorld());
        // Wider than Micro, so a checkpoint (two UNet copies and two optimizer moments, a few MB, hashed) takes
        // milliseconds to write and a watcher polling every millisecond can kill inside it; 16x16 steps stay cheap.
        var config = micro with { Unet = micro.Unet with { BlockOutChannels = [32, 64] } };
        using (var created = TextToImageModel.Create(config, seed: 0)) created.Save(model);
        string pairs = Path.Combine(_root.Path, "pairs");
        PairsFolder.Write(pairs, ShapesPairGenerator.CleanVersusFlawed(new ShapesWorld(), 12, 16, seed: 3));
        return (model, pairs);
    }

    private static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The kill tests share one fixture and run one after another (each is several child processes).</summary>
[CollectionDefinition(Name)]
public sealed class KillResumeCollection : ICollectionFixture<KillResumeFixture>
{
    public const string Name = "Kill and resume";
}
