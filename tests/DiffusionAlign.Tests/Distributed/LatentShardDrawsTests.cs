using DiffusionAlign.Data;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Tests.Reference;
using DiffusionAlign.Training;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Distributed;

/// <summary>
/// On a latent model (the fixture pipeline) a rank's shard gets the rows of the whole micro-batch's latent draws:
/// from images (the VAE's ε drawn for all 2 × global images) and from a latent cache.
/// </summary>
public sealed class LatentShardDrawsTests
{
    private const string Fixture = DiffusersFixture.Name;

    [FixtureFact(Fixture)]
    public void EachRankGetsItsRowsOfTheWholeBatchsLatentDraws()
    {
        using var dir = new TestModels.TempDir();
        using var model = TextToImageModel.Load(DiffusersFixture.TinySd);
        model.Freeze();
        var (pairs, _) = PreferenceData.Load(DiffusersFixture.Shard, 16);
        LatentPairCache.Write(dir.Path, model, PickAPicParquet.Stream(DiffusersFixture.Shard, 16).Take(4), 16,
            flips: false, DiffusersFixture.Shard);
        using var cache = LatentPairCache.Open(dir.Path);
        var batch = pairs.Take(4).ToList();
        int[] indices = [0, 1, 2, 3];
        var config = new AlignConfig { Seed = 3, PromptDropout = 0.5 };
        using var scope = NewDisposeScope();
        var wholeImages = PreferenceStep.NoisyPairs(model, batch, config, micro: 2);
        var wholeCache = PreferenceStep.NoisyPairs(model, cache, indices, config, micro: 2);
        for (int rank = 0; rank < 2; rank++)
        {
            var shard = BatchShard.ForRank(rank, ranks: 2, perRank: 2);
            var fromImages = PreferenceStep.NoisyPairs(model, batch.Skip(2 * rank).Take(2).ToList(), config, 2, shard);
            var fromCache = PreferenceStep.NoisyPairs(model, cache, indices.Skip(2 * rank).Take(2).ToList(), config,
                2, shard);
            // Moments read from the cache are the same bytes: exact. Encoded here, the VAE ran on 2 images rather
            // than 4, which may round differently: float32 closeness.
            Assert.True(Same(shard.WinnersThenLosers(wholeCache.Noisy), fromCache.Noisy));
            Assert.True(Same(shard.WinnersThenLosers(wholeCache.Timesteps), fromCache.Timesteps));
            Assert.True(shard.WinnersThenLosers(wholeImages.Noisy).allclose(fromImages.Noisy, rtol: 1e-5, atol: 1e-5),
                $"rank {rank}: the latents from images differ from the whole batch's rows");
        }
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
