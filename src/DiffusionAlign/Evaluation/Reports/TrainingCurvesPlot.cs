using System.Text.Json;
using DiffusionAlign.Imaging;

namespace DiffusionAlign.Evaluation.Reports;

/// <summary>
/// Plots training curves from <c>metrics.jsonl</c> files: loss on the left panel, implicit
/// accuracy on the right, one line per run. Rendered with ScottPlot, panels joined into one PNG.
/// </summary>
public static class TrainingCurvesPlot
{
    /// <summary>Reads (step, metric) series from a metrics.jsonl file; lines without the metric are skipped.</summary>
    public static (double[] Steps, double[] Values) ReadSeries(string metricsPath, string metric)
    {
        var steps = new List<double>();
        var values = new List<double>();
        foreach (var line in File.ReadLines(metricsPath))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            if (!doc.RootElement.TryGetProperty("step", out var s)
                || !doc.RootElement.TryGetProperty(metric, out var v)) continue;
            steps.Add(s.GetDouble());
            values.Add(v.GetDouble());
        }
        return (steps.ToArray(), values.ToArray());
    }

    /// <summary>Writes the two-panel figure for the named runs' metrics files.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, string> metricsFiles, int panelWidth = 640,
        int height = 420)
    {
        var left = Panel(
            metricsFiles, "loss", "Training loss", "loss (each method's own objective)", panelWidth, height);
        var right = Panel(
            metricsFiles, "implicit_acc", "Implicit accuracy (u > 0)", "fraction of pairs", panelWidth, height);
        ImageCodec.SavePng(ImageGrid.SideBySide(left, right), path);
    }

    private static RgbImage Panel(IReadOnlyDictionary<string, string> files, string metric, string title, string yLabel,
        int width, int height)
    {
        using var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int index = -1;
        foreach (var (name, file) in files)
        {
            index++; // A run keeps its colour in both panels even where it lacks the metric.
            if (!File.Exists(file)) continue;
            var (steps, values) = ReadSeries(file, metric);
            if (steps.Length == 0) continue;
            var line = plot.Add.ScatterLine(steps, Smooth(values, 5));
            line.LegendText = name;
            line.LineWidth = 2;
            line.Color = palette.GetColor(index);
        }
        plot.Title(title);
        plot.XLabel("optimizer step");
        plot.YLabel(yLabel);
        plot.ShowLegend();
        return ImageCodec.Decode(plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png), "plot");
    }

    /// <summary>Trailing moving average: per-step metrics of small batches are noisy.</summary>
    private static double[] Smooth(double[] values, int window)
    {
        var result = new double[values.Length];
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += values[i];
            if (i >= window) sum -= values[i - window];
            result[i] = sum / Math.Min(i + 1, window);
        }
        return result;
    }
}
