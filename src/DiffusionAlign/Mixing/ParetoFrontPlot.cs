// The trade-off a mixture buys: one reward against another for each policy alone and each mixture, with intervals.
using System.Globalization;

namespace DiffusionAlign.Mixing;

/// <summary>
/// Two rewards of <see cref="MixResults"/> against each other (the first on x, the second on y): one point per
/// candidate with its 95% t interval as a cross, and a dashed line through the candidates no other beats on both
/// rewards (the empirical Pareto front). Single policies are circles, mixtures squares, the chosen mixture larger.
/// Policies compared with but not mixed (<see cref="MixResults.Comparisons"/>) are diamonds, off the front's line:
/// the line is what mixing reaches, and a diamond beyond it is what mixing misses.
/// </summary>
public static class ParetoFrontPlot
{
    public const string FileName = "pareto.png";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <exception cref="DiffusionAlignException">Fewer than two rewards to plot.</exception>
    public static byte[] Png(MixResults results, int width = 800, int height = 600)
    {
        ArgumentNullException.ThrowIfNull(results);
        if (results.Rewards.Count < 2)
            throw new DiffusionAlignException("a Pareto front needs two rewards; the mix has " + results.Rewards.Count);
        string xName = results.Rewards[0], yName = results.Rewards[1];
        var points = results.Candidates.Select(c => (c.Name, X: c.Rewards[xName], Y: c.Rewards[yName],
            Single: c.Weights.Values.Count(w => w > 0) == 1)).ToList();
        var compared = results.Comparisons.Select(c => (c.Name, X: c.Rewards[xName], Y: c.Rewards[yName])).ToList();

        using var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var front = points.Where(p => !points.Any(q => Dominates(q.X.Mean, q.Y.Mean, p.X.Mean, p.Y.Mean)))
            .OrderBy(p => p.X.Mean).ToList();
        if (front.Count > 1)
        {
            var line = plot.Add.ScatterLine(
                front.Select(p => p.X.Mean).ToArray(), front.Select(p => p.Y.Mean).ToArray());
            line.LinePattern = ScottPlot.LinePattern.Dashed;
            line.Color = ScottPlot.Colors.Gray;
            line.LineWidth = 1;
        }
        for (int i = 0; i < points.Count; i++)
        {
            var (name, x, y, single) = points[i];
            // The chosen mixture's weights are what the plot is about: they go on its label.
            string label = name == MixResults.MixtureName
                ? $"{name} {string.Join("/", results.Weights.Values.Select(w => w.ToString("0.###", Invariant)))}"
                : name;
            Point(plot, palette.GetColor(i), label, x, y,
                single ? ScottPlot.MarkerShape.FilledCircle : ScottPlot.MarkerShape.FilledSquare,
                name == MixResults.MixtureName ? 14 : 10);
        }
        for (int i = 0; i < compared.Count; i++)
            Point(plot, palette.GetColor(points.Count + i), compared[i].Name, compared[i].X, compared[i].Y,
                ScottPlot.MarkerShape.FilledDiamond, 12);
        plot.Title("Policy mixing: mean rewards with 95% t intervals");
        plot.XLabel($"mean {xName} reward");
        plot.YLabel($"mean {yName} reward");
        return plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
    }

    /// <summary>One labelled point with its intervals as a cross.</summary>
    private static void Point(ScottPlot.Plot plot, ScottPlot.Color color, string label, RewardMean x, RewardMean y,
        ScottPlot.MarkerShape shape, float size)
    {
        // A single sample has no interval (NaN): its point stands alone.
        if (double.IsFinite(x.CiLow) && double.IsFinite(y.CiLow))
            foreach (var bar in new[]
                     {
                         plot.Add.Line(x.CiLow, y.Mean, x.CiHigh, y.Mean),
                         plot.Add.Line(x.Mean, y.CiLow, x.Mean, y.CiHigh),
                     })
            {
                bar.Color = color.WithAlpha(0.6);
                bar.LineWidth = 2;
            }
        var marker = plot.Add.Marker(x.Mean, y.Mean);
        marker.Color = color;
        marker.Shape = shape;
        marker.Size = size;
        var text = plot.Add.Text(label, x.Mean, y.Mean);
        text.LabelFontSize = 13;
        text.LabelFontColor = color;
        text.LabelAlignment = ScottPlot.Alignment.LowerLeft;
        text.LabelOffsetX = 8;
        text.LabelOffsetY = -4;
    }

    /// <summary>Whether (x1, y1) is at least as good on both and better on one.</summary>
    private static bool Dominates(double x1, double y1, double x2, double y2) =>
        x1 >= x2 && y1 >= y2 && (x1 > x2 || y1 > y2);
}
