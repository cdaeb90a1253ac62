using DiffusionAlign.Imaging;

namespace DiffusionAlign.Bench;

/// <summary>
/// The scaling sweep as a figure: step time (log–log) and achieved GFLOP/s against pairs per
/// step, one line per image size, with the GEMM ceiling drawn across the right panel.
/// </summary>
public static class ScalingPlot
{
    public static void Save(string path, IReadOnlyList<ScalingPoint> points, double gemm, int panelWidth = 640,
        int height = 420)
    {
        var left = Panel(points, p => p.StepSeconds, "DSPO step time", "seconds per step (log)", logY: true,
            ceiling: null, panelWidth, height);
        var right = Panel(points, p => p.GflopsPerSecond, "Achieved throughput", "GFLOP/s", logY: false,
            ceiling: gemm, panelWidth, height);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        ImageCodec.SavePng(ImageGrid.SideBySide(left, right), path);
    }

    private static RgbImage Panel(IReadOnlyList<ScalingPoint> points, Func<ScalingPoint, double> value, string title,
        string yLabel, bool logY, double? ceiling, int width, int height)
    {
        using var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int index = 0;
        foreach (var group in points.GroupBy(p => p.ImageSize).OrderBy(g => g.Key))
        {
            var ordered = group.OrderBy(p => p.PairsPerStep).ToList();
            double[] xs = ordered.Select(p => Math.Log2(p.PairsPerStep)).ToArray();
            double[] ys = ordered.Select(p => logY ? Math.Log10(value(p)) : value(p)).ToArray();
            var line = plot.Add.ScatterLine(xs, ys);
            line.LegendText = $"{group.Key}×{group.Key} images";
            line.LineWidth = 2;
            line.MarkerSize = 7;
            line.Color = palette.GetColor(index++);
        }
        if (ceiling is double c)
        {
            var limit = plot.Add.HorizontalLine(c);
            limit.LegendText = $"GEMM ceiling {c:F0}";
            limit.LinePattern = ScottPlot.LinePattern.Dashed;
            limit.Color = ScottPlot.Colors.Gray;
        }
        var batches = points.Select(p => p.PairsPerStep).Distinct().OrderBy(b => b).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            batches.Select(b => Math.Log2(b)).ToArray(), batches.Select(b => b.ToString()).ToArray());
        if (logY)
        {
            // 1-2-5 steps per decade, labelled in seconds, at their log10 positions.
            var seconds = Enumerable.Range(-3, 6)
                .SelectMany(e => new[] { 1.0, 2.0, 5.0 }.Select(m => m * Math.Pow(10, e))).ToArray();
            plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                seconds.Select(Math.Log10).ToArray(),
                seconds.Select(v => v.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        }
        else
        {
            plot.Axes.SetLimitsY(0, Math.Max(ceiling ?? 0, points.Max(value)) * 1.1);
        }
        plot.Title(title);
        plot.XLabel("pairs per step (log scale)");
        plot.YLabel(yLabel);
        plot.ShowLegend(ScottPlot.Alignment.UpperLeft);
        return ImageCodec.Decode(plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png), "plot");
    }
}
