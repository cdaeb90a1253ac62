namespace DiffusionAlign.Evaluation.Reports;

/// <summary>
/// Draws <see cref="WinRateCurve"/> lines (ScottPlot): one line per series through its points, each point with its
/// 95% interval as a capped vertical bar, and a dashed line at ½ (no better than the baseline). Series that share
/// an x are drawn side by side, a little apart, so their bars do not hide each other.
/// </summary>
public static class WinRateCurvePlot
{
    private static readonly ScottPlot.MarkerShape[] Markers =
    [
        ScottPlot.MarkerShape.FilledCircle, ScottPlot.MarkerShape.FilledSquare, ScottPlot.MarkerShape.FilledTriangleUp,
        ScottPlot.MarkerShape.FilledDiamond, ScottPlot.MarkerShape.FilledTriangleDown,
    ];

    /// <summary>Writes the figure to <paramref name="path"/> as a PNG (atomically: temp file + rename).</summary>
    public static void Save(string path, IReadOnlyList<WinRateCurveLine> lines, string baseline, string xLabel,
        string? title)
    {
        var png = Png(lines, baseline, xLabel, title);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        IO.AtomicFile.Write(path, stream => stream.Write(png));
    }

    /// <summary>The figure as PNG bytes.</summary>
    /// <param name="baseline">The baseline's name, for the y axis.</param>
    /// <param name="title">Null: a title saying what the bars are.</param>
    public static byte[] Png(IReadOnlyList<WinRateCurveLine> lines, string baseline, string xLabel, string? title,
        int width = 800, int height = 540)
    {
        using var plot = new ScottPlot.Plot();
        var half = plot.Add.HorizontalLine(0.5);
        half.LinePattern = ScottPlot.LinePattern.Dashed;
        half.Color = ScottPlot.Colors.Gray;
        half.LineWidth = 1.5f;

        var xs = lines.SelectMany(l => l.Points.Select(p => p.X)).ToList();
        double span = xs.Count > 1 ? xs.Max() - xs.Min() : 1;
        bool shared = lines.Count > 1 && lines.SelectMany(l => l.Points.Select(p => p.X).Distinct())
            .GroupBy(x => x).Any(g => g.Count() > 1);
        double dodge = shared ? 0.012 * (span > 0 ? span : 1) : 0;
        double cap = 0.008 * (span > 0 ? span : 1);
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            var colour = palette.GetColor(i);
            double offset = dodge * (i - (lines.Count - 1) / 2.0);
            var px = line.Points.Select(p => p.X + offset).ToArray();
            foreach (var (p, x) in line.Points.Zip(px))
            {
                var bar = plot.Add.Line(x, p.Low, x, p.High);
                bar.Color = colour.WithAlpha(0.7);
                bar.LineWidth = 2;
                foreach (double y in new[] { p.Low, p.High })
                {
                    var end = plot.Add.Line(x - cap, y, x + cap, y);
                    end.Color = colour.WithAlpha(0.7);
                    end.LineWidth = 2;
                }
            }
            var curve = plot.Add.Scatter(px, line.Points.Select(p => p.Rate).ToArray());
            curve.Color = colour;
            curve.LineWidth = 2.5f;
            curve.MarkerShape = Markers[i % Markers.Length];
            curve.MarkerSize = 9;
            curve.LegendText = line.Series;
        }
        // ½ always in view, and every bar whole.
        var ends = lines.SelectMany(l => l.Points.SelectMany(p => new[] { p.Low, p.High })).Append(0.5).ToList();
        double margin = 0.05 * (ends.Max() - ends.Min()) + 0.02;
        plot.Axes.SetLimitsY(ends.Min() - margin, ends.Max() + margin);
        plot.Title(title ?? $"Win rate vs {baseline} with 95% intervals");
        plot.XLabel(xLabel);
        plot.YLabel($"win rate vs {baseline}");
        plot.ShowLegend(ScottPlot.Edge.Right);
        return plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
    }
}
