using DiffusionAlign.Data;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Tests.Cli;
using DiffusionAlign.Training;
using DiffusionAlign.Tests.Reference;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Data;

/// <summary>
/// The latent cache on the fixture pipeline and Pick-a-Pic shard: a step from the cache equals the step from
/// the images it encodes, and align trains from it; a damaged cache or another VAE is refused in one line.
/// </summary>
[Collection("Console")]
public sealed class LatentPairCacheTests
{
    private const string Fixture = DiffusersFixture.Name;

    private static string TinySd => DiffusersFixture.TinySd;

    private static string Shard => DiffusersFixture.Shard;

    [FixtureFact(Fixture)]
    public void AStepFromTheCacheEqualsTheStepFromTheImages()
    {
        using var dir = new TestModels.TempDir();
        using var model = TextToImageModel.Load(TinySd);
        model.Freeze();
        var info = LatentPairCache.Write(dir.Path, model, PickAPicParquet.Stream(Shard, 16), 16, flips: true,
            Shard, batchPairs: 5);
        var (pairs, _) = PreferenceData.Load(Shard, 16);
        Assert.Equal(pairs.Count, info.Pairs);
        using var cache = LatentPairCache.Open(dir.Path);
        Assert.Equal(pairs[7].Prompt, cache.Prompt(7));

        // Flips and prompt dropout on, so both augmentations are drawn the same way on both paths.
        var config = AlignConfig.DefaultsFor(AlignMethod.Dpo) with { RandomFlip = true, PromptDropout = 0.3 };
        var objective = config.CreateObjective();
        using var reference = model.Copy();
        int[] indices = [3, 0, 17, 9, 20, 11];
        for (long micro = 0; micro < 3; micro++)
        {
            using var scope = NewDisposeScope();
            var fromImages = PreferenceStep.Run(model, reference, objective,
                indices.Select(i => pairs[i]).ToList(), config, micro);
            var fromCache = PreferenceStep.Run(model, reference, objective, cache, indices, config, micro);
            double a = fromImages.Loss.item<float>(), b = fromCache.Loss.item<float>();
            Assert.True(Math.Abs(a - b) <= 1e-5 * Math.Max(1, Math.Abs(a)), $"micro {micro}: {a} vs {b}");
        }
    }

    [FixtureFact(Fixture)]
    public void AlignTrainsFromACacheMadeByTheCommand()
    {
        using var dir = new TestModels.TempDir();
        string cacheDir = Path.Combine(dir.Path, "cache");
        var made = CliRunner.Run("cache-latents", "--model", TinySd, "--pairs", Shard, "--out", cacheDir,
            "--max-pairs", "10");
        Assert.True(made.Exit == 0, made.Err);
        Assert.Contains("wrote 10 pairs", made.Err);
        var run = CliRunner.Run("align", "--method", "dspo", "--model", TinySd, "--pairs", cacheDir, "--steps", "2",
            "--batch", "2", "--lora-rank", "2", "--out", Path.Combine(dir.Path, "run"));
        Assert.True(run.Exit == 0, run.Err);
        Assert.Contains("latent cache", run.Err);

        // Flips need the mirrored latents, which this cache does not hold.
        var flips = CliRunner.Run("align", "--method", "dspo", "--model", TinySd, "--pairs", cacheDir, "--steps",
            "2", "--random-flip", "--out", Path.Combine(dir.Path, "run2"));
        Assert.True(flips.Exit == 2, flips.Err + flips.Out);
        Assert.Contains("--random-flip", flips.Err);

        // A cut-short cache is refused when opened.
        string moments = Path.Combine(cacheDir, LatentPairCache.MomentsFileName);
        using (var stream = new FileStream(moments, FileMode.Open)) stream.SetLength(stream.Length - 4);
        var damaged = CliRunner.Run("align", "--method", "dspo", "--model", TinySd, "--pairs", cacheDir, "--steps",
            "1", "--warmup", "0", "--out", Path.Combine(dir.Path, "run3"));
        Assert.Equal(2, damaged.Exit);
        Assert.Single(damaged.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("damaged", damaged.Err);
    }

    [FixtureFact(Fixture)]
    public void ACacheMadeWithAnotherVaeIsRefused()
    {
        using var dir = new TestModels.TempDir();
        using var model = TextToImageModel.Load(TinySd);
        LatentPairCache.Write(dir.Path, model, PickAPicParquet.Stream(Shard, 16).Take(3), 16, flips: false, Shard);
        using (no_grad())
            foreach (var p in model.Vae!.parameters().Take(1))
                p.add_(ones_like(p));
        using var cache = LatentPairCache.Open(dir.Path);
        var error = Assert.Throws<DiffusionAlignException>(() => cache.CheckFits(model));
        Assert.Contains("another VAE", error.Message);
    }
}
