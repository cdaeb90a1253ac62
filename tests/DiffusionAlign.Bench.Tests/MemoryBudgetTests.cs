using DiffusionAlign.Bench;
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
}
