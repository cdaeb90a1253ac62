namespace DiffusionAlign.Evaluation.Reports;

/// <summary>One model of one run on the ranking-accuracy-vs-win-rate plot.</summary>
internal sealed record ModelPoint(string Label, double RankingAccuracy, double WinRate, double? CiLow, double? CiHigh);

/// <summary>
/// Ranking accuracy (x) against reward win rate vs the baseline (y), one point per model and run, the win
/// rate's 95% interval as a vertical bar. Whether a better likelihood ranking of held-out pairs buys better
/// samples is the question this answers, more clearly the more checkpoints there are.
/// </summary>
internal static class RankingVsWinRatePlot
{
    /// <summary>Past this many points the names would cover the points: the table names them instead.</summary>
    private const int MaxLabels = 24;

    public static byte[] Png(IReadOnlyList<ModelPoint> points, double? baselineRanking, int width = 900,
        int height = 560)
    {
        // Rates live in [0, 1]; the view keeps a margin around the data but never leaves that range.
        var xs = points.Select(p => p.RankingAccuracy).Append(0.5).ToList();
        if (baselineRanking is double br) xs.Add(br);
        var ys = points.SelectMany(p => new[] { p.WinRate, p.CiLow ?? p.WinRate, p.CiHigh ?? p.WinRate })
            .Append(0.5).ToList();
        var (left, right) = Range(xs);
        var (bottom, top) = Range(ys);

        using var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        // Chance levels: a coin-flip ranking and a model no better than the baseline.
        var even = plot.Add.HorizontalLine(0.5);
        even.LinePattern = ScottPlot.LinePattern.Dotted;
        even.Color = ScottPlot.Colors.Gray;
        even.LineWidth = 1;
        var chance = plot.Add.VerticalLine(0.5);
        chance.LinePattern = ScottPlot.LinePattern.Dotted;
        chance.Color = ScottPlot.Colors.Gray;
        chance.LineWidth = 1;
        if (baselineRanking is double b)
        {
            var line = plot.Add.VerticalLine(b);
            line.LinePattern = ScottPlot.LinePattern.Dashed;
            line.Color = ScottPlot.Colors.Gray;
            line.LineWidth = 1;
        }
        for (int i = 0; i < points.Count; i++)
        {
            var p = points[i];
            var color = palette.GetColor(i);
            if (p.CiLow is double lo && p.CiHigh is double hi)
            {
                var bar = plot.Add.Line(p.RankingAccuracy, lo, p.RankingAccuracy, hi);
                bar.Color = color.WithAlpha(0.6);
                bar.LineWidth = 2;
            }
            var marker = plot.Add.Marker(p.RankingAccuracy, p.WinRate);
            marker.Color = color;
            marker.Size = 10;
            // Models at the same point (e.g. two that sample identically) share one label rather than overprint.
            int first = points.ToList().FindIndex(q => SamePlace(p, q));
            if (points.Count <= MaxLabels && first == i)
            {
                var together = points.Where(q => SamePlace(p, q)).ToList();
                var text = plot.Add.Text(string.Join(", ", together.Select(q => q.Label)), p.RankingAccuracy,
                    p.WinRate);
                text.LabelFontSize = 13;
                text.LabelFontColor = together.Count == 1 ? color : ScottPlot.Colors.Black;
                // Names of points in the right half run leftwards, so they stay inside the plot.
                bool rightHalf = p.RankingAccuracy > (left + right) / 2;
                text.LabelAlignment = rightHalf ? ScottPlot.Alignment.LowerRight : ScottPlot.Alignment.LowerLeft;
                text.LabelOffsetX = rightHalf ? -8 : 8;
                text.LabelOffsetY = -4;
            }
        }
        plot.Title("Ranking accuracy vs reward win rate (95% interval)");
        plot.XLabel("ranking accuracy on held-out pairs");
        plot.YLabel("win rate vs baseline");
        plot.Axes.SetLimits(left, right, bottom, top);
        return plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
    }

    private static bool SamePlace(ModelPoint a, ModelPoint b) =>
        Math.Abs(a.RankingAccuracy - b.RankingAccuracy) < 1e-9 && Math.Abs(a.WinRate - b.WinRate) < 1e-9;

    private static (double Low, double High) Range(IReadOnlyList<double> values)
    {
        double low = values.Min(), high = values.Max();
        double pad = Math.Max(0.03, (high - low) * 0.12);
        return (Math.Max(0, low - pad), Math.Min(1, high + pad));
    }
}
