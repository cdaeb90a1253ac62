using System.Globalization;
using System.Text.Json.Serialization;

namespace DiffusionAlign.Evaluation.Reports;

/// <summary>
/// One curve to draw: a name and, per point, a model of one evaluation's results and the x it stands at (e.g. the
/// gold labels its training spent).
/// </summary>
public sealed record WinRateSeries(string Name, IReadOnlyList<(string Model, double X)> Points)
{
    /// <summary>Parses <c>NAME=MODEL@X[,MODEL@X...]</c>, X a number.</summary>
    /// <exception cref="DiffusionAlignException">The text is not of that form.</exception>
    public static WinRateSeries Parse(string spec)
    {
        const string Form = "NAME=MODEL@X[,MODEL@X...]";
        int eq = spec.IndexOf('=');
        if (eq <= 0 || eq == spec.Length - 1)
            throw new DiffusionAlignException($"--series expects {Form}, got '{spec}'");
        var points = new List<(string, double)>();
        foreach (var item in spec[(eq + 1)..].Split(','))
        {
            int at = item.LastIndexOf('@');
            if (at <= 0 || at == item.Length - 1)
                throw new DiffusionAlignException($"--series expects {Form}: '{item}' in '{spec}' has no MODEL@X");
            if (!double.TryParse(item[(at + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var x)
                || !double.IsFinite(x))
                throw new DiffusionAlignException($"--series: x of '{item}' in '{spec}' is not a number");
            points.Add((item[..at], x));
        }
        return new WinRateSeries(spec[..eq], points);
    }
}

/// <summary>
/// A plotted point: the model's win rate against the evaluation's baseline and the 95% interval drawn, with the
/// interval's kind ("clustered": prompt-clustered bootstrap, pooled over replicates for a group; or "wilson").
/// </summary>
public sealed record WinRateCurvePoint(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("x")] double X,
    [property: JsonPropertyName("rate")] double Rate,
    [property: JsonPropertyName("low")] double Low,
    [property: JsonPropertyName("high")] double High,
    [property: JsonPropertyName("interval")] string Interval,
    [property: JsonPropertyName("pooled_replicates")] int? PooledReplicates);

/// <summary>One drawn curve: its points in increasing x.</summary>
public sealed record WinRateCurveLine(
    [property: JsonPropertyName("series")] string Series,
    [property: JsonPropertyName("points")] IReadOnlyList<WinRateCurvePoint> Points);

/// <summary>
/// Win rate against the baseline along an x of the user's choosing (gold labels spent, training steps, …), read
/// from one evaluation's results.json. A model name that is a replicate group (<see cref="EvaluationResults.Pooled"/>)
/// stands for its pooled win rate and interval; any other model for its own win rate, with its prompt-clustered
/// interval where the file has one and its Wilson interval otherwise.
/// </summary>
public static class WinRateCurve
{
    /// <summary>The points of every series, each in increasing x (ties in the order given).</summary>
    /// <exception cref="DiffusionAlignException">
    /// No series, a series name given twice, or a model that is the baseline or not in the results.
    /// </exception>
    public static IReadOnlyList<WinRateCurveLine> Points(EvaluationResults results,
        IReadOnlyList<WinRateSeries> series)
    {
        if (series.Count == 0) throw new DiffusionAlignException("give at least one --series");
        var twice = series.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new DiffusionAlignException($"series name '{twice.Key}' given twice");
        return [.. series.Select(s => new WinRateCurveLine(s.Name,
            [.. s.Points.Select(p => Point(results, p.Model, p.X)).OrderBy(p => p.X)]))];
    }

    /// <summary>A model's (or a replicate group's) point at <paramref name="x"/>.</summary>
    /// <exception cref="DiffusionAlignException">The model is the baseline or not in the results.</exception>
    public static WinRateCurvePoint Point(EvaluationResults results, string model, double x)
    {
        if (results.Pooled?.TryGetValue(model, out var pooled) == true)
            return FromEntry(model, x, pooled.WinRate, pooled.Replicates.Count);
        if (results.WinRate.TryGetValue(model, out var entry)) return FromEntry(model, x, entry, null);
        if (model == results.Baseline)
            throw new DiffusionAlignException($"'{model}' is the baseline: its win rate against itself is ½");
        var known = results.WinRate.Keys.Concat(results.Pooled?.Keys ?? Enumerable.Empty<string>());
        throw new DiffusionAlignException(
            $"model '{model}' has no win rate in the results (they have: {string.Join(", ", known)})");
    }

    private static WinRateCurvePoint FromEntry(string model, double x, WinRateEntry entry, int? replicates) =>
        entry is { ClusteredCiLow: double low, ClusteredCiHigh: double high }
            ? new WinRateCurvePoint(model, x, entry.Rate, low, high, "clustered", replicates)
            : new WinRateCurvePoint(model, x, entry.Rate, entry.CiLow, entry.CiHigh, "wilson", replicates);
}
