using DiffusionAlign.Data;

namespace DiffusionAlign.Tests.Data;

public sealed class PairBatchScheduleTests
{
    [Fact]
    public void EveryPairAppearsExactlyOncePerEpochInShuffledOrder()
    {
        var schedule = new PairBatchSchedule(count: 10, batchSize: 3, seed: 7);
        Assert.Equal(3, schedule.BatchesPerEpoch);
        var order = schedule.EpochOrder(0);
        Assert.Equal(Enumerable.Range(0, 10), order.Order());
        Assert.NotEqual(Enumerable.Range(0, 10), order); // shuffled, not file order
    }

    [Fact]
    public void BatchesAreFullAndLeaveOutOnlyTheEpochsRemainder()
    {
        var schedule = new PairBatchSchedule(count: 10, batchSize: 3, seed: 7);
        var epoch2 = Enumerable.Range(6, 3).Select(m => schedule.Batch(m)).ToList();
        Assert.All(epoch2, b => Assert.Equal(3, b.Length));
        Assert.Equal(schedule.EpochOrder(2).Take(9), epoch2.SelectMany(b => b));
        // Micro-batch 9 is the first of epoch 3.
        Assert.Equal(schedule.EpochOrder(3).Take(3), schedule.Batch(9));
    }

    [Fact]
    public void OrderIsAFunctionOfSeedAndEpoch()
    {
        var a = new PairBatchSchedule(20, 4, seed: 1);
        var b = new PairBatchSchedule(20, 4, seed: 1);
        Assert.Equal(a.EpochOrder(5), b.EpochOrder(5));
        Assert.NotEqual(a.EpochOrder(0), a.EpochOrder(1));
        Assert.NotEqual(a.EpochOrder(0), new PairBatchSchedule(20, 4, seed: 2).EpochOrder(0));
    }

    [Fact]
    public void AResumedRunSeesTheBatchesOfAnUninterruptedOne()
    {
        // A fresh schedule asked for micro-batch m (as after a resume) gives what the one that
        // walked there gave: no state beyond the step count is needed.
        var walked = new PairBatchSchedule(10, 3, seed: 5);
        var expected = Enumerable.Range(0, 9).Select(m => walked.Batch(m)).ToList();
        var resumed = new PairBatchSchedule(10, 3, seed: 5);
        for (int m = 4; m < 9; m++) Assert.Equal(expected[m], resumed.Batch(m));
    }

    [Fact]
    public void ADatasetSmallerThanOneBatchIsRefused()
    {
        var error = Assert.Throws<DiffusionAlignException>(() => new PairBatchSchedule(3, batchSize: 4, seed: 1));
        Assert.Contains("3 pairs", error.Message);
    }
}
