namespace DiffusionAlign.Evaluation.Reports;

/// <summary>One round's change of a reward on the monitor images: mean and 95% interval (ends null if none).</summary>
internal sealed record RoundChange(int Round, double Change, double? Low, double? High, bool Hacking);

/// <summary>
/// A reward's change per round of an online run (after − before on the same monitor images), its 95% interval as a
/// bar, zero as a dotted line, and rounds flagged as reward hacking shaded red. One panel per reward: the learned
/// reward is in the round's reward model's logits and the true reward in [0, 1], so they share no axis.
/// </summary>
internal static class RewardChangePlot
{
    private static readonly ScottPlot.Color Flagged = ScottPlot.Color.FromHex("#d62728");

    /// <param name="threshold">A level to draw dashed (the true reward's −tolerance of the hacking rule), or null.
    /// </param>
    public static byte[] Png(IReadOnlyList<RoundChange> rounds, string title, string yLabel, double? threshold,
        int width, int height)
    {
        using var plot = new ScottPlot.Plot();
        var color = new ScottPlot.Palettes.Category10().GetColor(0);
        var ys = rounds.SelectMany(r => new[] { r.Change, r.Low ?? r.Change, r.High ?? r.Change })
            .Where(double.IsFinite).Append(0.0).ToList();
        if (threshold is double t) ys.Add(t);
        double low = ys.Min(), high = ys.Max();
        double pad = Math.Max(1e-3, 0.12 * (high - low));
        (low, high) = (low - pad, high + pad);
        // Shading first, so the data is drawn over it.
        foreach (var r in rounds.Where(r => r.Hacking))
        {
            var band = plot.Add.Rectangle(r.Round - 0.4, r.Round + 0.4, low, high);
            band.FillColor = Flagged.WithAlpha(0.15);
            band.LineColor = Flagged.WithAlpha(0.5);
            var text = plot.Add.Text("hacking", r.Round, high);
            text.LabelFontColor = Flagged;
            text.LabelFontSize = 13;
            text.LabelAlignment = ScottPlot.Alignment.UpperCenter;
        }
        var zero = plot.Add.HorizontalLine(0);
        zero.LinePattern = ScottPlot.LinePattern.Dotted;
        zero.Color = ScottPlot.Colors.Gray;
        zero.LineWidth = 1;
        if (threshold is double level)
        {
            var line = plot.Add.HorizontalLine(level);
            line.LinePattern = ScottPlot.LinePattern.Dashed;
            line.Color = Flagged.WithAlpha(0.6);
            line.LineWidth = 1;
        }
        foreach (var r in rounds)
        {
            if (r.Low is not double lo || r.High is not double hi || !double.IsFinite(lo) || !double.IsFinite(hi))
                continue;
            var bar = plot.Add.Line(r.Round, lo, r.Round, hi);
            bar.Color = (r.Hacking ? Flagged : color).WithAlpha(0.6);
            bar.LineWidth = 2;
        }
        var curve = plot.Add.ScatterLine(rounds.Select(r => (double)r.Round).ToArray(),
            rounds.Select(r => r.Change).ToArray());
        curve.Color = color;
        curve.LineWidth = 2;
        foreach (var r in rounds)
        {
            var marker = plot.Add.Marker(r.Round, r.Change);
            marker.Color = r.Hacking ? Flagged : color;
            marker.Size = 10;
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        double first = rounds.Count == 0 ? 1 : rounds.Min(r => r.Round), last = rounds.Count == 0 ? 1
            : rounds.Max(r => r.Round);
        plot.Axes.SetLimits(first - 0.6, last + 0.6, low, high);
        plot.Title(title);
        plot.XLabel("round");
        plot.YLabel(yLabel);
        return plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
    }
}
