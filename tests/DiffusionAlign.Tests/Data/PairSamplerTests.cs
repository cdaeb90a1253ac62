using System.Text.Json;
using DiffusionAlign.Data;

namespace DiffusionAlign.Tests.Data;

public sealed class PairSamplerTests
{
    [Fact]
    public void StreamRunsThroughFullBatchesThenReshuffles()
    {
        var data = PreferenceDatasetTests.Make(10);
        var sampler = new PairSampler(data, batchSize: 4, seed: 11);
        var first = sampler.Next();
        var second = sampler.Next();
        Assert.Equal((0, 8), (sampler.Epoch, sampler.Position));
        // Two full batches of epoch 0 are 8 distinct pairs; the 2 left over are dropped.
        Assert.Equal(8, PreferenceDatasetTests.Ids([first, second]).Distinct().Count());
        var third = sampler.Next();
        Assert.Equal((1, 4), (sampler.Epoch, sampler.Position));
        Assert.Equal(PreferenceDatasetTests.Ids(data.Batches(4, 11, epoch: 1).Take(1)), PreferenceDatasetTests.Ids([third]));
    }

    [Fact]
    public void ResumedStreamMatchesUninterruptedStream()
    {
        var data = PreferenceDatasetTests.Make(10);
        var uninterrupted = new PairSampler(data, batchSize: 3, seed: 5);
        var expected = PreferenceDatasetTests.Ids(Enumerable.Range(0, 9).Select(_ => uninterrupted.Next()).ToList());

        var before = new PairSampler(data, batchSize: 3, seed: 5);
        var seen = Enumerable.Range(0, 4).Select(_ => before.Next()).ToList();
        // Saved and restored through JSON, as a checkpoint would.
        string json = JsonSerializer.Serialize(before.State);
        var state = JsonSerializer.Deserialize<SamplerState>(json)!;
        Assert.Equal(before.State, state);
        var after = new PairSampler(PreferenceDatasetTests.Make(10), batchSize: 3, state);
        seen.AddRange(Enumerable.Range(0, 5).Select(_ => after.Next()));

        Assert.Equal(expected, PreferenceDatasetTests.Ids(seen));
    }

    [Fact]
    public void ResumingOnADifferentDatasetIsRefused()
    {
        var sampler = new PairSampler(PreferenceDatasetTests.Make(10), batchSize: 2, seed: 1);
        sampler.Next();
        Assert.Throws<DiffusionAlignException>(() => new PairSampler(PreferenceDatasetTests.Make(9), 2, sampler.State));
        Assert.Throws<DiffusionAlignException>(() => new PairSampler(PreferenceDatasetTests.Make(3), batchSize: 4, seed: 1));
    }
}
