using System.Globalization;
using System.Text.Json;
using DiffusionAlign.Mixing;

namespace DiffusionAlign.Evaluation.Reports;

/// <summary>
/// A policy mixture folder (dalign mix) as the page shows it: the component policies and their weights from
/// <c>mixture.json</c>; from <c>mix.json</c> how the weights were chosen (given, or mirror descent with its steps),
/// each candidate's reward means with intervals, and the Pareto plot (the folder's <c>pareto.png</c>, else drawn
/// from mix.json). A part that is missing or unreadable is a note in the section.
/// </summary>
internal static class MixSection
{
    /// <summary>The files of a mix folder this section reads (pareto.png comes with the run's images).</summary>
    public static readonly string[] FileNames = [MixtureFolder.ManifestFileName, MixResults.FileName];

    /// <summary>Those of <see cref="FileNames"/> the run folder holds.</summary>
    public static IEnumerable<string> Files(ReportRun run) =>
        FileNames.Where(f => File.Exists(Path.Combine(run.FullPath, f)));

    /// <summary>Whether the run folder holds a mixture or a mix's results.</summary>
    public static bool Has(ReportRun run) => Files(run).Any();

    /// <summary>Whether this section shows <paramref name="image"/> (so the samples section leaves it out).</summary>
    public static bool Shows(ReportRun run, RunImage image) =>
        Has(run) && image.RelativePath == ParetoFrontPlot.FileName;

    public static void WriteAll(HtmlBuilder html, IReadOnlyList<ReportRun> runs)
    {
        var mixes = runs.Where(Has).ToList();
        if (mixes.Count == 0) return;
        html.Element("h2", "Policy mixtures", id: "mixing");
        foreach (var run in mixes)
        {
            html.Element("h3", run.Name);
            html.Element("p", $"from {run.FullPath}", "path");
            WritePolicies(html, run.FullPath);
            var results = ReadResults(html, Path.Combine(run.FullPath, MixResults.FileName));
            if (results is not null)
            {
                WriteWeights(html, results);
                WriteFront(html, results);
            }
            WritePareto(html, run, results);
            if (results is { Settings.Count: > 0 })
            {
                html.Markup("<details><summary>evaluation settings</summary>\n")
                    .Facts(results.Settings.Select(kv => new Field(kv.Key, Setting(kv.Value))))
                    .Markup("</details>\n");
            }
        }
    }

    /// <summary>The folder's mix.json, or null with a note saying why it is not shown.</summary>
    private static MixResults? ReadResults(HtmlBuilder html, string path)
    {
        if (!File.Exists(path))
        {
            html.Element("p", $"No {MixResults.FileName}: the candidates' scores and the weight search are not shown.",
                "note");
            return null;
        }
        try
        {
            return MixResults.Load(path);
        }
        catch (Exception e) when (e is DiffusionAlignException or IOException or UnauthorizedAccessException)
        {
            html.Element("p", $"Not shown: {e.Message.ReplaceLineEndings(" ")}", "note");
            return null;
        }
    }

    private static void WritePolicies(HtmlBuilder html, string dir)
    {
        html.Element("h4", "Policies and weights");
        IReadOnlyList<(string Name, string Folder)> policies;
        MixtureWeights weights;
        try
        {
            (policies, weights) = MixtureFolder.Read(dir);
        }
        catch (Exception e) when (e is DiffusionAlignException or IOException or UnauthorizedAccessException)
        {
            html.Element("p", $"Not shown: {e.Message.ReplaceLineEndings(" ")}", "note");
            return;
        }
        html.Table(["policy", "weight", "model folder"],
            policies.Select((p, i) => new HtmlRow(
            [
                p.Name, F(weights[i], 3), Directory.Exists(p.Folder) ? p.Folder : $"{p.Folder} (missing)",
            ])),
            [false, true, false],
            $"From {MixtureFolder.ManifestFileName}: dalign sample --model and dalign eval --model NAME=DIR read this "
            + "folder as one model.");
    }

    private static void WriteWeights(HtmlBuilder html, MixResults results)
    {
        html.Element("p", $"Mixture weights ({results.WeightsSource ?? Format.Missing}): {Weights(results.Weights)}.");
        if (results.MirrorDescent is not { } search) return;
        html.Element("h4", "Mirror descent on the worst reward");
        html.Facts(
        [
            new("iterations", Count(search.Iterations)), new("samples per probe", Count(search.SamplesPerProbe)),
            new("step size η", G(search.StepSize)), new("probe δ", G(search.ProbeSize)),
            new("prompts", search.PromptSet ?? Format.Missing),
            new("seed", search.Seed.ToString(CultureInfo.InvariantCulture)),
            new("last iterate", search.LastWeights is null ? Format.Missing : Weights(search.LastWeights)),
            new("chosen (step-weighted average)", Weights(results.Weights)),
        ]);
        var steps = search.Steps?.Where(s => s is not null).ToList() ?? [];
        if (steps.Count == 0) return;
        var policies = results.Weights.Keys.ToList();
        var headers = new List<string> { "step" };
        headers.AddRange(policies.Select(p => $"w {p}"));
        headers.AddRange(results.Rewards.Select(r => $"{r} at w"));
        headers.AddRange(policies.Select(p => $"g {p}"));
        headers.AddRange(policies.Select(p => $"next w {p}"));
        html.Table(headers, steps.Select((s, t) =>
            {
                var cells = new List<string> { Count(t + 1) };
                cells.AddRange(policies.Select(p => Value(s.Weights, p, 3)));
                cells.AddRange(results.Rewards.Select(r => Value(s.Rewards, r, 4)));
                cells.AddRange(policies.Select(p => Value(s.Gradient, p, 4)));
                cells.AddRange(policies.Select(p => Value(s.Next, p, 3)));
                return new HtmlRow(cells);
            }),
            headers.Select(_ => true).ToList(),
            "Each step: the weights w, the batch's reward means at w, the gradient g of the reward lowest there, and "
            + "the weights after the step.");
        html.Element("p", $"Estimator: {search.Estimator}.", "note");
    }

    private static void WriteFront(HtmlBuilder html, MixResults results)
    {
        html.Element("h4", "Candidates: each policy alone and the mixtures"
            + (results.Comparisons.Count > 0 ? ", and the policies compared with" : ""));
        var headers = new List<string> { "candidate", "weights" };
        foreach (var r in results.Rewards) headers.AddRange([$"{r} (95% t CI)", $"{r} clustered CI"]);
        headers.AddRange(["worst reward", "n"]);
        html.Table(headers, results.Candidates.Concat(results.Comparisons ?? []).Select(c =>
            {
                var cells = new List<string>
                {
                    c.Name ?? Format.Missing, c.Weights is { Count: 0 } ? "(compared, not mixed)" : Weights(c.Weights),
                };
                foreach (var r in results.Rewards)
                {
                    var mean = c.Rewards.GetValueOrDefault(r);
                    cells.Add(mean is null ? Format.Missing
                        : Format.WithInterval(Finite(mean.Mean), Finite(mean.CiLow), Finite(mean.CiHigh), 4));
                    cells.Add(Finite(mean?.ClusteredCiLow) is double lo && Finite(mean?.ClusteredCiHigh) is double hi
                        ? $"[{Format.Fixed(lo, 4)}, {Format.Fixed(hi, 4)}]"
                        : Format.Missing);
                }
                cells.Add(c.Rewards.Count == 0 ? Format.Missing : $"{c.WorstReward}: {F(c.WorstMean, 4)}");
                cells.Add(c.Rewards.Values.FirstOrDefault() is { } any ? Count(any.N) : Format.Missing);
                return new HtmlRow(cells, c.Name == MixResults.MixtureName ? "chosen" : null);
            }),
            headers.Select(h => h is not ("candidate" or "weights" or "worst reward")).ToList(),
            "Mean reward over each candidate's samples (the same prompts and initial noises for every candidate). "
            + "The chosen mixture is highlighted; policies compared with are scored on the same draws but not mixed.");
    }

    private static void WritePareto(HtmlBuilder html, ReportRun run, MixResults? results)
    {
        if (run.Images.FirstOrDefault(i => Shows(run, i)) is { } image)
        {
            html.Image(image.Png, image.Width, image.Height, $"{run.Name}: {image.RelativePath}", "plot");
            html.Element("p", $"{image.RelativePath}, as dalign mix drew it: the first two rewards against each "
                + "other, single policies as circles, mixtures as squares, 95% t intervals as crosses, a dashed line "
                + "through the candidates no other beats on both, policies compared with as diamonds.", "note");
            return;
        }
        bool plottable = results is not null && results.Rewards.Count >= 2
            && results.Candidates.All(c => results.Rewards.Take(2).All(c.Rewards.ContainsKey));
        if (!plottable)
        {
            html.Element("p", $"No {ParetoFrontPlot.FileName}, and no two rewards every candidate was scored by to "
                + "draw one.", "note");
            return;
        }
        const int width = 800, height = 600;
        html.Image(ParetoFrontPlot.Png(results!, width, height), width, height,
            $"{run.Name}: Pareto front drawn from {MixResults.FileName}", "plot");
        html.Element("p", $"No {ParetoFrontPlot.FileName} in the folder: drawn from {MixResults.FileName} as dalign "
            + "mix draws it.", "note");
    }

    /// <summary>"A 0.750, B 0.250".</summary>
    private static string Weights(IReadOnlyDictionary<string, double> weights) =>
        string.Join(", ", weights.Select(kv => $"{kv.Key} {F(kv.Value, 3)}"));

    private static string Value(Dictionary<string, double>? values, string key, int decimals) =>
        values is not null && values.TryGetValue(key, out double v) ? F(v, decimals) : Format.Missing;

    private static string Setting(object? value) => value switch
    {
        null => "null",
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString() ?? "",
        JsonElement e => e.GetRawText(),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    private static double? Finite(double? value) => value is double v && double.IsFinite(v) ? v : null;

    private static string F(double value, int decimals) =>
        Finite(value) is double v ? Format.Fixed(v, decimals) : Format.Missing;

    private static string G(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    private static string Count(int value) => value.ToString(CultureInfo.InvariantCulture);
}
