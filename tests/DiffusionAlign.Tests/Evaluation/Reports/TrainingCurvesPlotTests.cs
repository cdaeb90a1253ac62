// Tests the training-curve panels: every run visible when curves coincide, raw vs smoothed, integer step ticks.
using System.Globalization;
using DiffusionAlign.Evaluation.Reports;
using DiffusionAlign.Imaging;
using ScottPlot.Plottables;

namespace DiffusionAlign.Tests.Evaluation.Reports;

public sealed class TrainingCurvesPlotTests
{
    /// <summary>A metrics.jsonl with the given losses and implicit accuracies at steps 1, 2, ….</summary>
    private static string Metrics(string dir, string name, double[] losses)
    {
        string path = Path.Combine(dir, name + ".jsonl");
        File.WriteAllLines(path, losses.Select((loss, i) => string.Create(CultureInfo.InvariantCulture,
            $"{{\"step\":{i + 1},\"loss\":{loss},\"implicit_acc\":{(i % 3) / 2.0}}}")));
        return path;
    }

    private static readonly double[] Shared = [0.9, 0.7, 0.8, 0.5, 0.6, 0.4, 0.45, 0.3, 0.35, 0.3, 0.25, 0.3];

    /// <summary>SFT and DSPO with the same log (as DSPO's SD1.5 form at β = 0.001 gives), and DPO apart.</summary>
    private static Dictionary<string, string> Runs(string dir) => new()
    {
        ["sft"] = Metrics(dir, "sft", Shared),
        ["dpo"] = Metrics(dir, "dpo", [.. Shared.Select(v => 2 * v + 0.1)]),
        ["dspo"] = Metrics(dir, "dspo", Shared),
    };

    private static List<Scatter> Thick(ScottPlot.Plot plot) =>
        [.. plot.GetPlottables().OfType<Scatter>().Where(s => s.LineWidth >= 2)];

    [Fact]
    public void CoincidingRunsDifferInColourPatternMarkerAndWidth()
    {
        using var dir = new TestModels.TempDir();
        using var plot = TrainingCurvesPlot.PanelPlot(Runs(dir.Path), [("loss", "")], "loss", "loss");

        var thick = Thick(plot);
        Assert.Equal(3, thick.Count);
        Assert.Equal(3, thick.Select(s => s.Color).Distinct().Count());
        Assert.Equal(3, thick.Select(s => s.LinePattern.Name).Distinct().Count());
        // The first run is drawn widest, so a later run drawn exactly over it leaves its rim showing.
        Assert.True(thick[0].LineWidth > thick[2].LineWidth + 1.5f, $"{thick[0].LineWidth} vs {thick[2].LineWidth}");

        var markers = plot.GetPlottables().OfType<Scatter>().Where(s => s.LineWidth == 0).ToList();
        Assert.Equal(3, markers.Count);
        Assert.Equal(3, markers.Select(m => m.MarkerShape).Distinct().Count());
        // sft's and dspo's markers sit on different steps.
        var xs = markers.Select(m => m.Data.GetScatterPoints().Select(p => p.X).ToHashSet()).ToList();
        Assert.Empty(xs[0].Intersect(xs[2]));

        var legend = plot.Legend.ManualItems.Select(i => i.LabelText).ToList();
        Assert.Equal(new[] { "sft", "dpo", "dspo" }, legend.Take(3));
        Assert.Contains(legend, l => l.Contains("EMA") && l.Contains("0.9"));
    }

    [Fact]
    public void RawValuesAreFaintAndThinUnderTheirMovingAverage()
    {
        using var dir = new TestModels.TempDir();
        using var plot = TrainingCurvesPlot.PanelPlot(Runs(dir.Path), [("loss", "")], "loss", "loss");
        var lines = plot.GetPlottables().OfType<Scatter>().Where(s => s.LineWidth > 0).ToList();
        var raw = lines.Where(s => s.LineWidth < 2).ToList();
        Assert.Equal(3, raw.Count);
        Assert.All(raw, s => Assert.True(s.Color.Alpha < 128, "raw lines are translucent"));
        Assert.All(Thick(plot), s => Assert.Equal(255, s.Color.Alpha));
        // Every faint line is drawn before (under) every thick one.
        Assert.True(lines.FindLastIndex(s => s.LineWidth < 2) < lines.FindIndex(s => s.LineWidth >= 2));
        Assert.Equal(Shared, raw[0].Data.GetScatterPoints().Select(p => p.Y));
    }

    [Fact]
    public void TheMovingAverageIsDebiasedAtTheStart()
    {
        Assert.All(TrainingCurvesPlot.Smooth([2, 2, 2], 0.9), v => Assert.Equal(2.0, v, 1e-12));
        // Two values: (0.9·0.1·1 + 0.1·3) / (1 − 0.81) = 0.39 / 0.19.
        Assert.Equal(0.39 / 0.19, TrainingCurvesPlot.Smooth([1, 3], 0.9)[1], 1e-12);
    }

    [Fact]
    public void OneSpikingStepDoesNotFlattenTheTrends()
    {
        using var dir = new TestModels.TempDir();
        var losses = Enumerable.Range(0, 100).Select(i => 1 - 0.005 * i).ToArray();
        losses[50] = 100;
        var files = new Dictionary<string, string> { ["dpo"] = Metrics(dir.Path, "dpo", losses) };
        using var plot = TrainingCurvesPlot.PanelPlot(files, [("loss", "")], "loss", "loss");
        var limits = plot.Axes.GetLimits();
        double peak = TrainingCurvesPlot.Smooth(losses, TrainingCurvesPlot.SmoothingWeight).Max();
        Assert.InRange(limits.Top, peak, 0.5 * 100);
        Assert.InRange(limits.Bottom, 0, losses[^1]);
    }

    [Fact]
    public void StepTicksAreWholeNumbersOnAShortRun()
    {
        using var dir = new TestModels.TempDir();
        var files = new Dictionary<string, string> { ["dpo"] = Metrics(dir.Path, "dpo", [0.7, 0.6, 0.65]) };
        using var plot = TrainingCurvesPlot.PanelPlot(files, [("loss", "")], "loss", "loss");
        plot.GetImageBytes(640, 420, ScottPlot.ImageFormat.Png); // Ticks are generated when drawn.
        var ticks = plot.Axes.Bottom.TickGenerator.Ticks.Where(t => t.IsMajor).Select(t => t.Position).ToList();
        Assert.True(ticks.Count >= 2, $"{ticks.Count} major ticks");
        Assert.All(ticks, t => Assert.Equal(Math.Round(t), t));
    }

    [Fact]
    public void AnExactlyCoveredRunStillShowsItsColour()
    {
        using var dir = new TestModels.TempDir();
        var runs = Runs(dir.Path);
        var pair = new Dictionary<string, string> { ["sft"] = runs["sft"], ["dspo"] = runs["dspo"] };
        using var plot = TrainingCurvesPlot.PanelPlot(pair, [("loss", "")], "loss", "loss");
        plot.HideLegend(); // Only the data area: the legend would show sft's colour in any case.
        var image = ImageCodec.Decode(plot.GetImageBytes(640, 420, ScottPlot.ImageFormat.Png), "plot");

        // sft is drawn first and dspo, with the same values, over it; both colours must be on screen.
        var palette = new ScottPlot.Palettes.Category10();
        foreach (int run in new[] { 0, 1 })
        {
            var colour = palette.GetColor(run);
            int pixels = 0;
            for (int y = 0; y < image.Height; y++)
                for (int x = 0; x < image.Width; x++)
                    if (Math.Abs(image[x, y, 0] * 255 - colour.R) < 12 && Math.Abs(image[x, y, 1] * 255 - colour.G) < 12
                        && Math.Abs(image[x, y, 2] * 255 - colour.B) < 12)
                        pixels++;
            Assert.True(pixels > 300, $"run {run} shows {pixels} pixels of its colour");
        }
    }

    [Fact]
    public void TheFigureHasBothPanelsSideBySide()
    {
        using var dir = new TestModels.TempDir();
        string path = Path.Combine(dir.Path, "training.png");
        TrainingCurvesPlot.Save(path, Runs(dir.Path), panelWidth: 500, height: 300);
        var figure = ImageCodec.Load(path);
        Assert.Equal((1000, 300), (figure.Width, figure.Height));
    }
}
