using DiffusionAlign.Objectives;
using DiffusionAlign.Training;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Training;

public sealed class PreferenceStepTests
{
    [Fact]
    public void WinnerAndLoserOfAPairShareTimestepAndNoise()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Micro();
        var pairs = PreferenceTrainerTests.RendererPairs(3).ToList();
        var inputs = PreferenceStep.NoisyPairs(model, pairs, new AlignConfig { Seed = 1 }, micro: 5);
        Assert.Equal(6, inputs.Noisy.shape[0]);
        Assert.Equal(inputs.Timesteps[..3].data<long>().ToArray(), inputs.Timesteps[3..].data<long>().ToArray());
        // ε-prediction: the target is the noise itself, the same for both halves.
        Assert.True(inputs.Target[..3].eq(inputs.Target[3..]).all().item<bool>());
        Assert.False(inputs.Noisy[..3].eq(inputs.Noisy[3..]).all().item<bool>());
        // A pure function of (seed, micro-batch): a resumed run draws the same step.
        var again = PreferenceStep.NoisyPairs(model, pairs, new AlignConfig { Seed = 1 }, micro: 5);
        Assert.True(inputs.Noisy.eq(again.Noisy).all().item<bool>());
    }

    [Fact]
    public void AWinnersOnlyObjectiveIsFedOnlyTheWinners()
    {
        using var scope = NewDisposeScope();
        using var model = TestModels.Micro();
        var pairs = PreferenceTrainerTests.RendererPairs(4).ToList();
        var config = AlignConfig.DefaultsFor(AlignMethod.Sft) with { Seed = 2 };
        float paired = PreferenceStep.Run(model, null, new SftLoss(), pairs, config, 0).Loss.item<float>();
        float winners = PreferenceStep.Run(model, null, new SftLoss(ObjectiveInput.WinnersOnly), pairs, config, 0)
            .Loss.item<float>();
        // Same winners at the same (t, ε): the same loss, whichever layout the objective declared. Fed
        // the whole pair batch, the winners-only loss would average the losers in as well.
        Assert.Equal(paired, winners, 1e-4f * Math.Max(1f, paired));
    }

    [Fact]
    public void AnObjectiveThatNeedsTheReferenceRefusesToRunWithoutIt()
    {
        using var model = TestModels.Micro();
        var pairs = PreferenceTrainerTests.RendererPairs(2).ToList();
        var dpo = AlignConfig.DefaultsFor(AlignMethod.Dpo);
        Assert.Throws<ArgumentNullException>(() =>
            PreferenceStep.Run(model, null, dpo.CreateObjective(), pairs, dpo, 0));
    }
}
