using DiffusionAlign.Evaluation;

namespace DiffusionAlign.Tests.Evaluation;

public sealed class JudgeDisagreementsTests
{
    private static WinRateEntry Entry(string vs, double rate, double low, double high, bool clustered = true) =>
        new(vs, rate, rate - 0.01, rate + 0.01, 100, 0, 0, 0)
        {
            ClusteredCiLow = clustered ? low : null,
            ClusteredCiHigh = clustered ? high : null,
        };

    [Fact]
    public void AComparisonTheRewardCallsAndTheJudgeDoesNotIsADisagreementAgreementIsNot()
    {
        var reward = new Comparisons(
            new() { ["dpo"] = Entry("base", 0.7, 0.6, 0.8), ["sft"] = Entry("base", 0.6, 0.55, 0.65) },
            new() { ["dpo_vs_sft"] = Entry("sft", 0.5, 0.4, 0.6) });
        var judge = new Comparisons(
            new() { ["dpo"] = Entry("base", 0.52, 0.45, 0.6), ["sft"] = Entry("base", 0.58, 0.51, 0.66) },
            new() { ["dpo_vs_sft"] = Entry("sft", 0.35, 0.3, 0.4) });

        var found = JudgeDisagreements.Find(reward, judge);

        Assert.Equal(2, found.Count);
        var dpo = found[0];
        Assert.Equal(("win_rate", "dpo", "dpo", "base"), (dpo.Section, dpo.Key, dpo.Model, dpo.Vs));
        Assert.Equal(("dpo wins", "no clear winner"), (dpo.RewardVerdict, dpo.JudgeVerdict));
        Assert.Equal("clustered", dpo.Interval);
        var headToHead = found[1];
        Assert.Equal(("head_to_head", "dpo", "sft"), (headToHead.Section, headToHead.Model, headToHead.Vs));
        Assert.Equal(("no clear winner", "sft wins"), (headToHead.RewardVerdict, headToHead.JudgeVerdict));
    }

    [Fact]
    public void WithoutClusteredIntervalsTheWilsonIntervalsDecide()
    {
        var reward = new Comparisons(new() { ["a"] = Entry("b", 0.7, 0, 0, clustered: false) }, new());
        var judge = new Comparisons(new() { ["a"] = Entry("b", 0.5, 0, 0, clustered: false) }, new());

        var d = Assert.Single(JudgeDisagreements.Find(reward, judge));
        Assert.Equal("wilson", d.Interval);
        Assert.Equal(0.69, d.RewardCiLow, 12);
        Assert.Equal("a wins", d.RewardVerdict);
    }
}
