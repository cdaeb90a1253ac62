using System.Text.Json;
using DiffusionAlign.Imaging;

namespace DiffusionAlign.Evaluation.Reports;

/// <summary>
/// Plots training curves from <c>metrics.jsonl</c> files: loss on the left panel, implicit
/// accuracy on the right, one line per run. Rendered with ScottPlot, panels joined into one PNG.
/// </summary>
public static class TrainingCurvesPlot
{
    /// <summary>
    /// Reads (step, metric) series from a metrics.jsonl file. Lines without the metric are skipped, and so are a
    /// line a crash cut short and a non-finite value (logged as a string for a skipped step): a plot of a run
    /// still going, or one that hit a bad step, must still draw.
    /// </summary>
    public static (double[] Steps, double[] Values) ReadSeries(string metricsPath, string metric)
    {
        var steps = new List<double>();
        var values = new List<double>();
        foreach (var line in File.ReadLines(metricsPath))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object
                    || !doc.RootElement.TryGetProperty("step", out var s) || s.ValueKind != JsonValueKind.Number
                    || !doc.RootElement.TryGetProperty(metric, out var v) || v.ValueKind != JsonValueKind.Number
                    || !s.TryGetDouble(out double step) || !v.TryGetDouble(out double value)
                    || !double.IsFinite(value)) continue;
                steps.Add(step);
                values.Add(value);
            }
            catch (JsonException)
            {
            }
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
        int width, int height) =>
        ImageCodec.Decode(PanelPng(files, [(metric, "")], title, yLabel, width, height), "plot");

    /// <summary>
    /// One panel as PNG bytes: for each run, a line per (metric, legend suffix), the first solid and the others
    /// dashed, so e.g. winners' and losers' errors of one run share its colour.
    /// </summary>
    public static byte[] PanelPng(IReadOnlyDictionary<string, string> files,
        IReadOnlyList<(string Metric, string LegendSuffix)> series, string title, string yLabel, int width = 640,
        int height = 420)
    {
        using var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int index = -1;
        foreach (var (name, file) in files)
        {
            index++; // A run keeps its colour in every panel even where it lacks the metric.
            if (!File.Exists(file)) continue;
            for (int k = 0; k < series.Count; k++)
            {
                var (steps, values) = ReadSeries(file, series[k].Metric);
                if (steps.Length == 0) continue;
                var line = plot.Add.ScatterLine(steps, Smooth(values, 5));
                line.LegendText = name + series[k].LegendSuffix;
                line.LineWidth = 2;
                line.Color = palette.GetColor(index);
                if (k > 0) line.LinePattern = ScottPlot.LinePattern.Dashed;
            }
        }
        plot.Title(title);
        plot.XLabel("optimizer step");
        plot.YLabel(yLabel);
        plot.ShowLegend();
        return plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
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
