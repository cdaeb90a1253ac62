using DiffusionAlign.Data;
using DiffusionAlign.Imaging;

namespace DiffusionAlign.Tests.Data;

public sealed class PreferenceDatasetTests
{
    /// <summary>Pairs "p0#0", "p0#1", ...: <paramref name="perPrompt"/> pairs for each of <paramref name="prompts"/> prompts, told apart by the winner's pixel.</summary>
    internal static PreferenceDataset Make(int prompts, int perPrompt = 1)
    {
        var pairs = new List<PreferencePair>();
        for (int p = 0; p < prompts; p++)
            for (int k = 0; k < perPrompt; k++)
                pairs.Add(new PreferencePair($"p{p}", new RgbImage(1, 1, [pairs.Count, 0, 0]), new RgbImage(1, 1)));
        return new PreferenceDataset(pairs);
    }

    /// <summary>The identity of each pair in a batch sequence (its index, stored in the winner's red value).</summary>
    internal static int[] Ids(IEnumerable<IReadOnlyList<PreferencePair>> batches) =>
        batches.SelectMany(b => b).Select(p => (int)p.Winner.Pixels[0]).ToArray();

    [Fact]
    public void EveryPairAppearsExactlyOncePerEpoch()
    {
        var data = Make(10);
        var batches = data.Batches(3, seed: 7, epoch: 0, dropLast: false).ToList();
        Assert.Equal([3, 3, 3, 1], batches.Select(b => b.Count));
        Assert.Equal(Enumerable.Range(0, 10), Ids(batches).Order());
        Assert.NotEqual(Enumerable.Range(0, 10), Ids(batches)); // shuffled, not file order
    }

    [Fact]
    public void DropLastLeavesOutOnlyTheIncompleteBatch()
    {
        var data = Make(10);
        var full = Ids(data.Batches(3, seed: 7, epoch: 2, dropLast: false));
        var dropped = data.Batches(3, seed: 7, epoch: 2, dropLast: true).ToList();
        Assert.Equal(3, dropped.Count);
        Assert.All(dropped, b => Assert.Equal(3, b.Count));
        Assert.Equal(full.Take(9), Ids(dropped));
    }

    [Fact]
    public void OrderIsAFunctionOfSeedAndEpoch()
    {
        var data = Make(20);
        Assert.Equal(Ids(data.Batches(4, 1, 0)), Ids(data.Batches(4, 1, 0)));
        Assert.Equal(Ids(data.Batches(4, 1, 5)), Ids(Make(20).Batches(4, 1, 5)));
        Assert.NotEqual(Ids(data.Batches(4, 1, 0)), Ids(data.Batches(4, 1, 1)));
        Assert.NotEqual(Ids(data.Batches(4, 1, 0)), Ids(data.Batches(4, 2, 0)));
    }

    [Fact]
    public void SplitKeepsEachPromptOnOneSide()
    {
        var data = Make(10, perPrompt: 2);
        var (train, heldOut) = data.Split(0.3, seed: 3);
        Assert.Equal(3, heldOut.Prompts.Count);
        Assert.Equal(6, heldOut.Count);
        Assert.Equal(14, train.Count);
        Assert.Empty(train.Prompts.Intersect(heldOut.Prompts));
        Assert.Equal(data.Prompts.Order(), train.Prompts.Concat(heldOut.Prompts).Order());

        var (train2, heldOut2) = data.Split(0.3, seed: 3);
        Assert.Equal(heldOut.Prompts, heldOut2.Prompts);
        Assert.Equal(train.Count, train2.Count);

        var (all, none) = data.Split(0, seed: 3);
        Assert.Equal(20, all.Count);
        Assert.Empty(none);
    }

    [Fact]
    public void PromptRestrictionKeepsOriginalOrder()
    {
        var data = Make(5, perPrompt: 2);
        var only = data.WithPrompts(["p1", "p3"]);
        Assert.Equal(["p1", "p1", "p3", "p3"], only.Select(p => p.Prompt));
        Assert.Equal([2f, 3f, 6f, 7f], only.Select(p => p.Winner.Pixels[0]));
        Assert.Equal(6, data.WithoutPrompts(["p1", "p3"]).Count);
    }
}
