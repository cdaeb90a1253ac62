using DiffusionAlign.Mixing;
using DiffusionAlign.Objectives;
using DiffusionAlign.Training;
using DiffusionAlign.Training.Online;

namespace DiffusionAlign.Tests.Evaluation.Reports;

/// <summary>
/// An online run and a mix folder in the layouts <c>align --online</c> and <c>mix</c> write, made with the library
/// types that write them (OnlineRunFolder, MixtureFolder, MixResults, ParetoFrontPlot). No model is trained.
/// </summary>
public static class FakeOnlineAndMixRuns
{
    /// <summary>
    /// An online run of <paramref name="planned"/> rounds with <paramref name="finished"/> finished; the rounds in
    /// <paramref name="hacking"/> are flagged. Rounds up to <paramref name="policies"/> left their policy folder.
    /// </summary>
    public static string Online(string root, int planned, int finished, int[] hacking, int policies,
        string name = "online-run")
    {
        string dir = Path.Combine(root, name);
        FakeRuns.WriteMetrics(Path.Combine(dir, "metrics.jsonl"), 4 * finished, pairMetrics: true);
        FakeRuns.WriteModelConfig(dir, method: 1, beta: 5000, command: "dalign align --online --out " + name);
        var folder = new OnlineRunFolder(dir);
        var rounds = Enumerable.Range(1, finished).Select(r =>
        {
            bool flagged = hacking.Contains(r);
            double trueBefore = 0.30 + 0.01 * r, trueAfter = flagged ? trueBefore - 0.03 : trueBefore + 0.02;
            double change = trueAfter - trueBefore;
            return new OnlineRoundReport(r, 4 * r, 8 * r, 8, 32, 8 * r + 32, 0.134, 0.875, 4.2, 0.6875,
                r == 1 ? null : 0.75, LearnedReward: 2.0 + r, TrueReward: trueAfter, Spearman: 0.31,
                LearnedRewardBefore: 1.0 + r, TrueRewardBefore: trueBefore, Hacking: flagged,
                LearnedRewardChangeLow: 0.5, LearnedRewardChangeHigh: 1.5,
                TrueRewardChangeLow: change - 0.01, TrueRewardChangeHigh: change + 0.01);
        }).ToList();
        folder.WriteSummary(new OnlineSummary(new OnlineConfig { GoldBudget = 8 * planned, Rounds = planned },
            new AlignConfig { Method = AlignMethod.Dpo, Beta = 5000, Steps = 4 * planned, BatchSize = 4 }, rounds));
        for (int r = 1; r <= policies; r++)
        {
            Directory.CreateDirectory(folder.Policy(r));
            FakeRuns.WriteModelConfig(folder.Policy(r), method: 1, beta: 5000);
        }
        return dir;
    }

    /// <summary>
    /// A mix of policies A and B, weights chosen by two steps of mirror descent, with pareto.png unless
    /// <paramref name="pareto"/> is false.
    /// </summary>
    public static string Mix(string root, bool pareto = true, string name = "mix")
    {
        string dir = Path.Combine(root, name);
        Directory.CreateDirectory(dir);
        string a = Path.Combine(root, "align-a"), b = Path.Combine(root, "align-b");
        Directory.CreateDirectory(a);
        MixtureFolder.Save(dir, [("A", a), ("B", b)], MixtureWeights.Normalised([0.625, 0.375]));
        var results = Results();
        results.Save(Path.Combine(dir, MixResults.FileName));
        if (pareto) File.WriteAllBytes(Path.Combine(dir, ParetoFrontPlot.FileName), ParetoFrontPlot.Png(results));
        return dir;
    }

    public static MixResults Results()
    {
        static Dictionary<string, double> W(double a) => new() { ["A"] = a, ["B"] = 1 - a };
        static Dictionary<string, RewardMean> R(double alignment, double aesthetics) => new()
        {
            ["alignment"] = new RewardMean(alignment, alignment - 0.05, alignment + 0.05, alignment - 0.07,
                alignment + 0.07, 30),
            ["aesthetics"] = new RewardMean(aesthetics, aesthetics - 0.04, aesthetics + 0.04, null, null, 30),
        };
        var search = new MirrorDescentReport(2, 4, 5, 0.25, "validation", 1000, W(0.6),
        [
            new(W(0.5), new() { ["alignment"] = 0.41, ["aesthetics"] = 0.52 }, W(0.2), W(0.55)),
            new(W(0.55), new() { ["alignment"] = 0.44, ["aesthetics"] = 0.50 }, W(0.1), W(0.6)),
        ]);
        return new MixResults(W(0.625), "mirror descent", ["alignment", "aesthetics"],
        [
            new("A", W(1), R(0.5123, 0.4012)),
            new("B", W(0), R(0.3811, 0.5544)),
            new(MixResults.MixtureName, W(0.625), R(0.4687, 0.4790)),
        ], search, new() { ["A"] = "align-a", ["B"] = "align-b" },
            new() { ["prompt_set"] = "test", ["seeds"] = 2, ["guidance_scale"] = 3.0 })
        {
            Comparisons = [new("joint", [], R(0.4411, 0.4522))],
        };
    }
}
