using DiffusionAlign.Training;
using DiffusionAlign.Training.Online;

namespace DiffusionAlign.Tests.Training.Online;

public sealed class OnlineConfigTests
{
    [Theory]
    [InlineData(10, 4)]
    [InlineData(7, 7)]
    [InlineData(200, 3)]
    [InlineData(5, 1)]
    public void RoundsSpendTheWholeGoldBudgetAndNeverMore(int budget, int rounds)
    {
        var config = new OnlineConfig { GoldBudget = budget, Rounds = rounds };
        var shares = Enumerable.Range(1, rounds).Select(config.GoldFor).ToList();
        Assert.Equal(budget, shares.Sum());
        Assert.All(shares, s => Assert.InRange(s, budget / rounds, budget / rounds + 1));
        for (int r = 1; r <= rounds; r++) Assert.InRange(config.GoldThrough(r), 0, budget);
        Assert.Equal(budget, config.GoldThrough(rounds));
    }

    [Fact]
    public void StepsAndSilverPairsFollowTheRounds()
    {
        var config = new OnlineConfig { GoldBudget = 10, Rounds = 4 };
        var align = new AlignConfig { Steps = 10 };
        Assert.Equal([2, 5, 7, 10], Enumerable.Range(1, 4).Select(r => config.StepsThrough(r, align)));
        Assert.Equal(OnlineConfig.SilverPerGold * config.GoldFor(2), config.SilverFor(2));
        Assert.Equal(3, (config with { SilverPerRound = 3 }).SilverFor(2));
    }

    [Theory]
    [InlineData(3, 4, null, 300, "GoldBudget")] // fewer gold labels than rounds
    [InlineData(8, 4, null, 3, "Steps")] // fewer steps than rounds
    [InlineData(8, 0, null, 300, "Rounds")]
    [InlineData(8, 4, -1, 300, "SilverPerRound")]
    [InlineData(4, 4, 0, 300, "GoldBudget")] // round 1: 1 gold pair, no silver, batch 8
    public void ImpossibleRunsAreRefusedByTheSettingToChange(int budget, int rounds, int? silver, int steps,
        string setting)
    {
        var config = new OnlineConfig { GoldBudget = budget, Rounds = rounds, SilverPerRound = silver };
        var e = Assert.Throws<InvalidSettingException>(() => config.Validate(new AlignConfig { Steps = steps }));
        Assert.Equal(setting, e.Setting);
        new OnlineConfig { GoldBudget = 8, Rounds = 4 }.Validate(new AlignConfig()); // the defaults work
    }
}
