using DiffusionAlign.Data;
using DiffusionAlign.Imaging;

namespace DiffusionAlign.Tests.Data;

public sealed class PreferenceDatasetTests
{
    /// <summary>
    /// Pairs "p0#0", "p0#1", ...: <paramref name="perPrompt"/> pairs for each of <paramref name="prompts"/>
    /// prompts, told apart by the winner's pixel.
    /// </summary>
    internal static PreferenceDataset Make(int prompts, int perPrompt = 1)
    {
        var pairs = new List<PreferencePair>();
        for (int p = 0; p < prompts; p++)
            for (int k = 0; k < perPrompt; k++)
                pairs.Add(new PreferencePair($"p{p}", new RgbImage(1, 1, [pairs.Count, 0, 0]), new RgbImage(1, 1)));
        return new PreferenceDataset(pairs);
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
