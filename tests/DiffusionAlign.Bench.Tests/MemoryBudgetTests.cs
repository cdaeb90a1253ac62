using DiffusionAlign.Bench;
using DiffusionAlign.Models;
using DiffusionAlign.Tests;

namespace DiffusionAlign.Bench.Tests;

public sealed class MemoryBudgetTests
{
    [Fact]
    public void BudgetCountsBothModelsWeightsAndTheTrainableUNetsGradientAndTwoAdamMoments()
    {
        using var model = TestModels.Micro();
        long all = model.Modules.parameters().Sum(p => p.numel());
        long unet = model.Unet.parameters().Sum(p => p.numel());

        var budget = MemoryBudget.For(model, pairs: 3, activationBytesPerImage: 1 << 20);

        const double mib = 1 << 20;
        Assert.Equal(2 * all * 4 / mib, budget.WeightsMiB, 9);
        Assert.Equal(unet * 4 / mib, budget.GradientsMiB, 9);
        Assert.Equal(2 * unet * 4 / mib, budget.OptimizerStateMiB, 9);
        Assert.Equal(6.0, budget.ActivationsMiB, 9); // 2 × 3 images × 1 MiB
        Assert.Null(budget.PeakOverBudget);

        var measured = budget with { PeakRssMiB = 3 * budget.BudgetMiB, BaselineRssMiB = budget.BudgetMiB };
        Assert.Equal(3.0, measured.PeakOverBudget!.Value, 9);
        Assert.Equal(2.0, measured.GrowthOverBudget!.Value, 9);
        Assert.False(measured.TargetMet);

        // The anatomy: the alignment's anonymous growth against the budget.
        var anatomy = measured with { BaselineAnonymousMiB = 10, PeakAnonymousMiB = 10 + 1.25 * budget.BudgetMiB,
            BaselineFileBackedMiB = 80, PeakFileBackedMiB = 110 };
        Assert.Equal(1.25, anatomy.AnonymousGrowthOverBudget!.Value, 9);
        Assert.Contains("1.25×", anatomy.Anatomy());
        Assert.Null(measured.AnonymousGrowthOverBudget); // unknown without the split

        var heap = anatomy with
        {
            BaselineHeap = new DiffusionAlign.Bench.Machine.HeapStatistics(50, 40, 10, 2),
            HeapAfterPolicyForward =
                new DiffusionAlign.Bench.Machine.HeapStatistics(300, 42 + 0.5 * budget.BudgetMiB, 0, 0),
        };
        Assert.Equal(0.5, heap.LiveOverBudget!.Value, 9);
        Assert.Contains("0.50× the budget", heap.Anatomy());
        // The resident rest: anonymous peak − malloc's in-use bytes at the activation peak.
        Assert.Contains(FormattableString.Invariant(
                $"the other {10 + 1.25 * budget.BudgetMiB - (42 + 0.5 * budget.BudgetMiB):F0} MiB"),
            heap.Anatomy());
    }

    [Fact]
    public void TheExplicitAttentionKernelKeepsTheProbabilitiesOnTopOfWhatTheFusedOneKeeps()
    {
        using var model = TestModels.Micro();
        var unet = model.Unet;
        int tokens = model.Tokenizer.MaxLength;
        int size = unet.Config.SampleSize!.Value;
        int levels = unet.Config.BlockOutChannels.Count;

        double fused = ActivationMemory.UNetSavedBytesPerImage(unet, tokens, AttentionKernel.ScaledDotProduct);
        double explicitKernel = ActivationMemory.UNetSavedBytesPerImage(unet, tokens, AttentionKernel.MatmulSoftmax);

        // Per attention layer the explicit kernel keeps heads·Lq·Lk probabilities instead of heads·Lq log-sum-exps.
        double expected = 0;
        foreach (var (name, module) in unet.named_modules())
        {
            if (module is not Attention attention) continue;
            // Micro: attention only at level 1 and mid
            int side = name.StartsWith("mid_block", StringComparison.Ordinal) ? size >> (levels - 1) : size >> 1;
            long queries = (long)side * side;
            long keys = name.EndsWith(".attn2", StringComparison.Ordinal) ? tokens : queries;
            expected += 4.0 * attention.Heads * queries * (keys - 1);
        }
        Assert.True(expected > 0);
        Assert.Equal(expected, explicitKernel - fused, 6);
    }
}
