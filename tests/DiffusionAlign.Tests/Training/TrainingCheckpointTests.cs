using System.Text.Json;
using DiffusionAlign.Runtime;
using DiffusionAlign.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Training;

/// <summary>
/// The checkpoint store: manifests catch damaged files, a damaged newest step falls back to the one before
/// with a warning, only the newest N steps are kept, and an interrupted write leaves the previous step usable.
/// </summary>
public sealed class TrainingCheckpointTests
{
    private static (FlatAdamW Optimizer, Parameter Weight) Optimizer(float value)
    {
        var weight = new Parameter(full(new long[] { 4 }, value.ToScalar()));
        return (new FlatAdamW([weight], new AdamWSettings(1e-3)), weight);
    }

    private static void SaveStep(string dir, int step, int keep = 2)
    {
        var (optimizer, weight) = Optimizer(step);
        using (optimizer)
        using (weight)
        {
            var info = new TrainingCheckpoint.Info(step, "test", JsonSerializer.SerializeToElement(new { a = 1 }));
            TrainingCheckpoint.Save(dir, info, new Dictionary<string, Tensor> { ["w"] = weight }, optimizer, keep);
        }
    }

    private static int LoadStep(string dir, out float weight)
    {
        var (optimizer, parameter) = Optimizer(0);
        using (optimizer)
        using (parameter)
        {
            var (info, tensors) = TrainingCheckpoint.Load(dir, optimizer, "test");
            weight = tensors["w"][0].item<float>();
            foreach (var t in tensors.Values) t.Dispose();
            return info.Step;
        }
    }

    [Fact]
    public void KeepsTheNewestStepsAndLoadsTheLast()
    {
        using var dir = new TestModels.TempDir();
        foreach (int step in new[] { 10, 20, 30 }) SaveStep(dir.Path, step, keep: 2);
        Assert.Equal(["step-000020", "step-000030"],
            Directory.GetDirectories(dir.Path).Select(Path.GetFileName).Order());
        Assert.Equal(30, LoadStep(dir.Path, out float weight));
        Assert.Equal(30f, weight);
    }

    [Theory]
    [InlineData("state.safetensors", "truncate")]
    [InlineData("optimizer.safetensors", "flip")]
    [InlineData("state.json", "delete")]
    [InlineData("manifest.json", "delete")]
    public void ADamagedNewestStepFallsBackToThePreviousWithAWarning(string file, string damage)
    {
        using var dir = new TestModels.TempDir();
        SaveStep(dir.Path, 10);
        SaveStep(dir.Path, 20);
        string path = Path.Combine(dir.Path, "step-000020", file);
        switch (damage)
        {
            case "truncate":
                using (var stream = new FileStream(path, FileMode.Open)) stream.SetLength(stream.Length - 1);
                break;
            case "flip":
                var bytes = File.ReadAllBytes(path);
                bytes[^1] ^= 0x40;
                File.WriteAllBytes(path, bytes);
                break;
            default:
                File.Delete(path);
                break;
        }
        var warnings = new List<string>();
        int step;
        using (Warnings.Redirect(warnings.Add)) step = LoadStep(dir.Path, out _);
        Assert.Equal(10, step);
        Assert.Single(warnings);
        Assert.Contains("step-000020", warnings[0]);
        Assert.True(TrainingCheckpoint.Exists(dir.Path));
    }

    [Fact]
    public void AWriteCutShortLeavesThePreviousStepAndIsReplacedNextTime()
    {
        using var dir = new TestModels.TempDir();
        SaveStep(dir.Path, 10);
        // What a kill mid-write leaves: a temporary folder with part of the files.
        string partial = Path.Combine(dir.Path, ".step-000020.tmp");
        Directory.CreateDirectory(partial);
        File.WriteAllBytes(Path.Combine(partial, "state.safetensors"), [1, 2, 3]);
        Assert.Equal(10, LoadStep(dir.Path, out _));
        SaveStep(dir.Path, 20);
        Assert.False(Directory.Exists(partial));
        Assert.Equal(20, LoadStep(dir.Path, out _));
    }

    [Fact]
    public void NoSoundCheckpointIsNotOne()
    {
        using var dir = new TestModels.TempDir();
        Assert.False(TrainingCheckpoint.Exists(dir.Path));
        SaveStep(dir.Path, 10);
        File.Delete(Path.Combine(dir.Path, "step-000010", "state.safetensors"));
        Assert.False(TrainingCheckpoint.Exists(dir.Path));
        var (optimizer, weight) = Optimizer(0);
        using (optimizer)
        using (weight)
        using (Warnings.Redirect(_ => { }))
            Assert.Throws<DiffusionAlignException>(() => TrainingCheckpoint.Load(dir.Path, optimizer, "test"));
    }
}
