using System.Globalization;
using System.Text.Json;
using DiffusionAlign.Imaging;

namespace DiffusionAlign.Evaluation.Reports;

/// <summary>
/// Plots training curves from <c>metrics.jsonl</c> files: loss on the left panel, implicit
/// accuracy on the right, each run told apart by colour, marker and line style, its logged values faint and their
/// moving average thick. Rendered with ScottPlot, panels joined into one PNG.
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

    /// <summary>Weight of the past in the moving average of the thick lines (TensorBoard's smoothing slider).</summary>
    public const double SmoothingWeight = 0.9;

    /// <summary>How the thick and faint lines differ, as the legend and the report say it.</summary>
    public static readonly string SmoothingNote =
        $"thick: EMA of the logged values (weight {SmoothingWeight.ToString(CultureInfo.InvariantCulture)}, "
        + "debiased); faint: each logged step, the top and bottom 2% of which may run off the panel";

    /// <summary>
    /// Per run, in order: colour (Category10), marker shape and line pattern. Each channel alone tells runs apart,
    /// so runs whose curves coincide exactly (SFT and DSPO's SD1.5 form with a tiny β) still read as two.
    /// </summary>
    private static readonly ScottPlot.MarkerShape[] Markers =
    [
        ScottPlot.MarkerShape.FilledCircle, ScottPlot.MarkerShape.FilledSquare, ScottPlot.MarkerShape.FilledTriangleUp,
        ScottPlot.MarkerShape.FilledDiamond, ScottPlot.MarkerShape.FilledTriangleDown, ScottPlot.MarkerShape.Eks,
        ScottPlot.MarkerShape.Cross, ScottPlot.MarkerShape.Asterisk,
    ];

    private static readonly ScottPlot.LinePattern[] Patterns =
    [
        ScottPlot.LinePattern.Solid, ScottPlot.LinePattern.Dashed, ScottPlot.LinePattern.Dotted,
        ScottPlot.LinePattern.DenselyDashed,
    ];

    /// <summary>Markers along each thick line, so a marker shape can be matched to the legend anywhere.</summary>
    private const int MarkersPerCurve = 10;

    /// <summary>Writes the two-panel figure for the named runs' metrics files.</summary>
    public static void Save(string path, IReadOnlyDictionary<string, string> metricsFiles, int panelWidth = 760,
        int height = 440)
    {
        var left = Panel(metricsFiles, "loss", "Training loss", LossLabel, panelWidth, height);
        var right = Panel(metricsFiles, "implicit_acc", "Implicit accuracy (u > 0)", "fraction of the batch's pairs",
            panelWidth, height);
        ImageCodec.SavePng(ImageGrid.SideBySide(left, right), path);
    }

    /// <summary>Y axis of a loss panel: each method's loss is on its own objective's scale.</summary>
    public const string LossLabel = "loss (DPO: nats; SFT, DSPO: ε MSE per pixel)";

    private static RgbImage Panel(IReadOnlyDictionary<string, string> files, string metric, string title, string yLabel,
        int width, int height) =>
        ImageCodec.Decode(PanelPng(files, [(metric, "")], title, yLabel, width, height), "plot");

    /// <summary>One panel as PNG bytes (see <see cref="PanelPlot"/>).</summary>
    public static byte[] PanelPng(IReadOnlyDictionary<string, string> files,
        IReadOnlyList<(string Metric, string LegendSuffix)> series, string title, string yLabel, int width = 760,
        int height = 440)
    {
        using var plot = PanelPlot(files, series, title, yLabel);
        return plot.GetImageBytes(width, height, ScottPlot.ImageFormat.Png);
    }

    /// <summary>
    /// One panel: for each run and each (metric, legend suffix), the logged values as a faint thin line and their
    /// EMA (<see cref="SmoothingWeight"/>) as a thick line with sparse markers. A run keeps its colour, marker and
    /// width in every panel even where it lacks the metric. With one series the runs also differ by line pattern;
    /// with several, the pattern tells the series apart (first solid, others dashed, e.g. winners and losers).
    /// Thick lines are drawn widest first, and markers of different runs fall on different steps, so a curve drawn
    /// exactly over another leaves the other's rim and markers in sight. Step ticks are integers; the legend sits
    /// right of the data. The caller disposes the plot.
    /// </summary>
    public static ScottPlot.Plot PanelPlot(IReadOnlyDictionary<string, string> files,
        IReadOnlyList<(string Metric, string LegendSuffix)> series, string title, string yLabel)
    {
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var curves = new List<(int Run, int Series, string Label, double[] Steps, double[] Values)>();
        int index = -1;
        foreach (var (name, file) in files)
        {
            index++;
            if (!File.Exists(file)) continue;
            for (int k = 0; k < series.Count; k++)
            {
                var (steps, values) = ReadSeries(file, series[k].Metric);
                if (steps.Length > 0) curves.Add((index, k, name + series[k].LegendSuffix, steps, values));
            }
        }
        int runs = files.Count;
        float Width(int run) => runs <= 1 ? 2.5f : 5f - 3f * run / (runs - 1); // 5 px for the first run, 2 px last.
        ScottPlot.LinePattern Pattern(int run, int k) =>
            series.Count > 1 ? (k == 0 ? ScottPlot.LinePattern.Solid : ScottPlot.LinePattern.Dashed)
                : Patterns[run % Patterns.Length];

        // Every faint line under every thick one: the raw noise never hides a trend.
        foreach (var c in curves)
        {
            var raw = plot.Add.ScatterLine(c.Steps, c.Values);
            raw.Color = palette.GetColor(c.Run).WithAlpha(0.22);
            raw.LineWidth = 1;
        }
        foreach (var c in curves)
        {
            var colour = palette.GetColor(c.Run);
            var marker = Markers[c.Run % Markers.Length];
            var trend = Smooth(c.Values, SmoothingWeight);
            var smooth = plot.Add.ScatterLine(c.Steps, trend);
            smooth.Color = colour;
            smooth.LineWidth = Width(c.Run);
            smooth.LinePattern = Pattern(c.Run, c.Series);
            var (mx, my) = Sparse(c.Steps, trend, c.Run, runs);
            var dots = plot.Add.ScatterPoints(mx, my);
            dots.Color = colour;
            dots.MarkerShape = marker;
            dots.MarkerSize = 8;
            plot.Legend.ManualItems.Add(new ScottPlot.LegendItem
            {
                LabelText = c.Label, LineColor = colour, LineWidth = Width(c.Run), LinePattern = smooth.LinePattern,
                MarkerShape = marker, MarkerFillColor = colour, MarkerLineColor = colour, MarkerSize = 8,
            });
        }
        if (curves.Count > 0)
        {
            // A key to the two line kinds, in grey so it is not read as another run.
            var grey = ScottPlot.Colors.Gray;
            plot.Legend.ManualItems.Add(new ScottPlot.LegendItem
            {
                LabelText = $"EMA ({SmoothingWeight.ToString(CultureInfo.InvariantCulture)})", LineColor = grey,
                LineWidth = 3,
            });
            plot.Legend.ManualItems.Add(new ScottPlot.LegendItem
            {
                LabelText = "each step", LineColor = grey.WithAlpha(0.35), LineWidth = 1,
            });
        }
        if (YRange(curves.Select(c => (c.Values, Smooth(c.Values, SmoothingWeight)))) is var (low, high))
            plot.Axes.SetLimitsY(low, high);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Title(title);
        plot.XLabel("optimizer step");
        plot.YLabel(yLabel);
        plot.ShowLegend(ScottPlot.Edge.Right);
        return plot;
    }

    /// <summary>
    /// The y range that shows every thick line and all but the most extreme 2% of logged values at either end,
    /// plus a margin: one spiking step (a DPO loss of 12 among values near 1) would otherwise flatten every trend.
    /// Null when there is nothing to draw.
    /// </summary>
    private static (double Low, double High)? YRange(IEnumerable<(double[] Raw, double[] Smoothed)> curves)
    {
        double low = double.PositiveInfinity, high = double.NegativeInfinity;
        foreach (var (raw, smoothed) in curves)
        {
            var sorted = raw.Order().ToArray();
            int cut = (int)(0.02 * sorted.Length);
            low = Math.Min(low, Math.Min(sorted[cut], smoothed.Min()));
            high = Math.Max(high, Math.Max(sorted[^(cut + 1)], smoothed.Max()));
        }
        if (!double.IsFinite(low) || !double.IsFinite(high)) return null;
        double margin = high > low ? 0.05 * (high - low) : Math.Max(0.05 * Math.Abs(high), 0.05);
        return (low - margin, high + margin);
    }

    /// <summary>
    /// About <see cref="MarkersPerCurve"/> points of a curve, the k-th run's shifted by k/runs of the spacing, so
    /// runs with identical curves put their markers on different steps.
    /// </summary>
    private static (double[] X, double[] Y) Sparse(double[] steps, double[] values, int run, int runs)
    {
        // At least one step per run between markers, or short runs would put every run's markers on every step.
        int stride = Math.Max(Math.Max(1, runs), steps.Length / MarkersPerCurve);
        int offset = stride * run / Math.Max(1, runs);
        var picked = Enumerable.Range(0, steps.Length).Where(i => i % stride == offset % stride).ToArray();
        return (picked.Select(i => steps[i]).ToArray(), picked.Select(i => values[i]).ToArray());
    }

    /// <summary>
    /// Exponential moving average with <paramref name="weight"/> on the past, divided by
    /// <c>1 − weight^(n)</c> after n values so the start is not pulled toward zero (TensorBoard's smoothing):
    /// per-step metrics of small batches are noisy.
    /// </summary>
    public static double[] Smooth(double[] values, double weight)
    {
        var result = new double[values.Length];
        double average = 0, decay = 1;
        for (int i = 0; i < values.Length; i++)
        {
            average = weight * average + (1 - weight) * values[i];
            decay *= weight;
            result[i] = average / (1 - decay);
        }
        return result;
    }
}
