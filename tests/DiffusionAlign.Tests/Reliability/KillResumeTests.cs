using Xunit.Abstractions;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// SIGKILL a real <c>dalign</c> process at seeded moments — some timed, some the instant a checkpoint write
/// begins — and restart it as a user would until it finishes: the final weights equal an uninterrupted run's bit
/// for bit and metrics.jsonl holds each step once. 3 kills per test; DALIGN_SOAK_KILLS=n for a soak, and
/// DALIGN_SOAK_REPORT_KILLS=path for a JSON summary.
/// </summary>
[Collection(KillResumeCollection.Name)]
public sealed class KillResumeTests(KillResumeFixture fixture, ITestOutputHelper output)
{
    /// <summary>DSPO in CI; a soak kills DPO runs too (the damaged-checkpoint tests resume DPO in CI).</summary>
    public static TheoryData<string, int> AlignMethods() =>
        Environment.GetEnvironmentVariable("DALIGN_SOAK_KILLS") is { Length: > 0 }
            ? new() { { "dspo", 1101 }, { "dpo", 2202 } }
            : new() { { "dspo", 1101 } };

    [Theory]
    [MemberData(nameof(AlignMethods))]
    public void AlignKilledAnywhereResumesToTheSameWeights(string method, int seed)
    {
        IReadOnlyList<string> Args(string outDir) => fixture.AlignArgs(method, outDir);
        var reference = fixture.Reference("align-" + method, Args);
        // Checkpoints land at steps 2, 4, ...: the first three writes of a run are all reachable targets.
        var plan = KillResumeTrigger.Plan(KillResumeTrigger.Count(), seed, reference.Time, maxWrite: 3);
        var result = KillResumeChain.Run(Args, fixture.NewFolder("kills-" + method), plan,
            outDir => KillResumeCompare.Runs(reference.Out, outDir, KillResumeFixture.AlignSteps, hasMetrics: true));
        KillResumeReport.Write(output, "align " + method, seed, result);
        Check(result);
    }

    [Fact]
    public void PretrainKilledAnywhereResumesToTheSameWeights()
    {
        const int seed = 3303;
        var reference = fixture.Reference("pretrain", KillResumeFixture.PretrainArgs);
        // The run's one checkpoint is its last: kills before it find nothing to resume and start over.
        var plan = KillResumeTrigger.Plan(KillResumeTrigger.Count(), seed, reference.Time, maxWrite: 1);
        var result = KillResumeChain.Run(KillResumeFixture.PretrainArgs, fixture.NewFolder("kills-pretrain"), plan,
            outDir => KillResumeCompare.Runs(reference.Out, outDir, KillResumeFixture.PretrainSteps,
                hasMetrics: false));
        KillResumeReport.Write(output, "pretrain", seed, result);
        Check(result);
    }

    private static void Check(KillResumeChain.Result result)
    {
        Assert.All(result.Differences, Assert.Null);
        Assert.Contains(result.Kills, k => k.MidWrite);
        // Steps are renamed into place only once whole, so a kill never leaves a damaged one to warn about.
        Assert.All(result.Kills, k => Assert.Empty(k.ResumeWarnings));
    }
}
