using DiffusionAlign.Data;
using DiffusionAlign.Distributed;
using DiffusionAlign.Training;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Distributed;

/// <summary>
/// The group of one is an identity, and training without mpirun takes the path it took before data parallelism:
/// whole micro-batches with their own draws, and no collective that touches a tensor.
/// </summary>
public sealed class SingleProcessCommunicatorTests
{
    [Fact]
    public void EveryCollectiveLeavesTheDataAsItIs()
    {
        var world = SingleProcessCommunicator.Instance;
        Assert.Equal((0, 1), (world.Rank, world.Size));
        float[] floats = [1.5f, -2f, float.NaN];
        world.AllReduceSum(floats);
        Assert.Equal([1.5f, -2f, float.NaN], floats);
        double[] doubles = [3.25, 1e300];
        world.AllReduceSum(doubles);
        world.AllReduceMean(doubles);
        Assert.Equal([3.25, 1e300], doubles);
        byte[] bytes = [7, 8, 9];
        world.Broadcast(bytes, root: 0);
        Assert.Equal([7, 8, 9], bytes);
        var all = new byte[3];
        world.AllGather(bytes, all);
        Assert.Equal(bytes, all);
        world.Barrier();
        Assert.True(world.Any(true));
        Assert.False(world.Any(false));
        world.CheckSame(42, "anything");
        Assert.Throws<ArgumentOutOfRangeException>(() => world.Broadcast(bytes, root: 1));
    }

    [Fact]
    public void TensorCollectivesDoNotTouchTheTensor()
    {
        var world = SingleProcessCommunicator.Instance;
        using var t = tensor(new[] { 0.1f, 0.2f, 0.3f });
        var before = t.data<float>().ToArray();
        // Not even a division by one: the single-process gradient keeps its exact bits.
        world.AllReduceMean(t);
        world.Broadcast(t);
        Assert.Equal(before, t.data<float>().ToArray());
    }

    [Fact]
    public void AWholeShardDrawsWhatTheUnshardedStepDraws()
    {
        using var model = TestModels.Micro(seed: 4);
        var pairs = Training.PreferenceTrainerTests.RendererPairs(4).ToList();
        var config = new AlignConfig { Seed = 9, RandomFlip = true, PromptDropout = 0.5 };
        using var scope = NewDisposeScope();
        var plain = PreferenceStep.NoisyPairs(model, pairs, config, micro: 3);
        var whole = PreferenceStep.NoisyPairs(model, pairs, config, micro: 3, BatchShard.Whole(pairs.Count));
        Assert.True(Same(plain.Noisy, whole.Noisy));
        Assert.True(Same(plain.Timesteps, whole.Timesteps));
        Assert.True(Same(plain.Text, whole.Text));
        Assert.True(Same(plain.Target, whole.Target));
    }

    [Fact]
    public void EachPairGetsTheSameDrawsWhicheverRankTakesIt()
    {
        using var model = TestModels.Micro(seed: 4);
        var pairs = Training.PreferenceTrainerTests.RendererPairs(4).ToList();
        var config = new AlignConfig { Seed = 9, RandomFlip = true, PromptDropout = 0.5 };
        using var scope = NewDisposeScope();
        var whole = PreferenceStep.NoisyPairs(model, pairs, config, micro: 5);
        for (int rank = 0; rank < 2; rank++)
        {
            var shard = BatchShard.ForRank(rank, ranks: 2, perRank: 2);
            var part = PreferenceStep.NoisyPairs(model, pairs.Skip(2 * rank).Take(2).ToList(), config, 5, shard);
            // Winners then losers: rows [2r, 2r+2) of each half of the whole batch's inputs.
            var expected = shard.WinnersThenLosers(whole.Noisy);
            Assert.True(Same(part.Noisy, expected), $"rank {rank}'s noisy pairs differ");
            Assert.True(Same(part.Timesteps, shard.WinnersThenLosers(whole.Timesteps)));
            Assert.True(Same(part.Target, shard.WinnersThenLosers(whole.Target)));
        }
    }

    /// <summary>Bit for bit: same shape and every element equal.</summary>
    private static bool Same(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
