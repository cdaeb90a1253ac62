using DiffusionAlign.Imaging;

namespace DiffusionAlign.Experiments.Study;

/// <summary>
/// The study's figures (ScottPlot): accuracies against win rate and distance over every grid checkpoint, each
/// regime's validation win rate along training, and the test win rates with their pooled intervals.
/// </summary>
public static class StudyPlots
{
    public const string RankingFile = "ranking-vs-win-rate.png";
    public const string GridFile = "grid-validation.png";
    public const string TestFile = "test-win-rates.png";

    private static readonly ScottPlot.Palettes.Category10 Palette = new();

    private static ScottPlot.Color Colour(StudyFamily family) => Palette.GetColor((int)family);

    private static ScottPlot.MarkerShape Shape(StudyRegime regime) => regime switch
    {
        StudyRegime.OnPolicy => ScottPlot.MarkerShape.FilledCircle,
        StudyRegime.OffPolicy => ScottPlot.MarkerShape.FilledSquare,
        _ => ScottPlot.MarkerShape.FilledTriangleUp,
    };

    /// <summary>Four panels: ranking and implicit-reward accuracy (own pairs) against win rate and distance.</summary>
    public static void SaveRanking(string path, IReadOnlyList<CheckpointPoint> points)
    {
        var panels = new List<RgbImage>();
        foreach (var (metric, value) in CorrelationAnalysis.Metrics.Take(2))
        {
            panels.Add(Scatter(points, value, p => p.WinRate, metric, "validation win rate vs base",
                $"{metric} vs win rate", 0.5));
            panels.Add(Scatter(points, value, p => p.Distance, metric, "‖θ − θ_ref‖ / ‖θ_ref‖",
                $"{metric} vs distance", null));
        }
        var top = ImageGrid.SideBySide(panels[0], panels[2]);
        var bottom = ImageGrid.SideBySide(panels[1], panels[3]);
        ImageCodec.SavePng(ImageGrid.Compose([top, bottom], 1, padding: 0), path);
    }

    private static RgbImage Scatter(IReadOnlyList<CheckpointPoint> points, Func<CheckpointPoint, double> x,
        Func<CheckpointPoint, double> y, string xLabel, string yLabel, string title, double? chance)
    {
        using var plot = new ScottPlot.Plot();
        if (chance is double c)
        {
            var line = plot.Add.HorizontalLine(c);
            line.LinePattern = ScottPlot.LinePattern.Dotted;
            line.Color = ScottPlot.Colors.Gray;
        }
        foreach (var group in points.Where(p => double.IsFinite(y(p)) && double.IsFinite(x(p)))
                     .GroupBy(p => (p.Family, p.Regime)))
        {
            var scatter = plot.Add.ScatterPoints(group.Select(x).ToArray(), group.Select(y).ToArray());
            scatter.Color = Colour(group.Key.Family).WithAlpha(0.8);
            scatter.MarkerShape = Shape(group.Key.Regime);
            scatter.MarkerSize = 8;
        }
        // The legend names colours (methods) and shapes (regimes) once each, outside the data.
        var legend = StudyFamilies.All.Select(f => new ScottPlot.LegendItem
            {
                LabelText = f.Key(), MarkerShape = ScottPlot.MarkerShape.FilledCircle, MarkerFillColor = Colour(f),
                MarkerLineColor = Colour(f), MarkerSize = 8,
            })
            .Concat(StudyRegimes.All.Select(r => new ScottPlot.LegendItem
            {
                LabelText = r.Key(), MarkerShape = Shape(r), MarkerFillColor = ScottPlot.Colors.Gray,
                MarkerLineColor = ScottPlot.Colors.Gray, MarkerSize = 8,
            }));
        plot.Legend.ManualItems.AddRange(legend);
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(ScottPlot.Edge.Right);
        return ImageCodec.Decode(plot.GetImageBytes(700, 460, ScottPlot.ImageFormat.Png), "plot");
    }

    /// <summary>One panel per regime: each run's validation win rate at its checkpoints.</summary>
    public static void SaveGrid(string path, IReadOnlyList<RunResult> runs)
    {
        var panels = new List<RgbImage>();
        foreach (var regime in runs.Select(r => r.Regime).Distinct())
        {
            using var plot = new ScottPlot.Plot();
            var even = plot.Add.HorizontalLine(0.5);
            even.LinePattern = ScottPlot.LinePattern.Dotted;
            even.Color = ScottPlot.Colors.Gray;
            var patterns = new[] { ScottPlot.LinePattern.Solid, ScottPlot.LinePattern.Dashed,
                ScottPlot.LinePattern.Dotted, ScottPlot.LinePattern.DenselyDashed };
            foreach (var family in runs.Where(r => r.Regime == regime).GroupBy(r => r.Point.Family))
            {
                int k = 0;
                foreach (var run in family)
                {
                    var checkpoints = run.Checkpoints.Where(c => c.Validation is not null).ToList();
                    if (checkpoints.Count == 0) continue;
                    var line = plot.Add.ScatterLine(checkpoints.Select(c => (double)c.Step).ToArray(),
                        checkpoints.Select(c => c.Validation!.WinRate.Rate).ToArray());
                    line.Color = Colour(family.Key);
                    line.LinePattern = patterns[k++ % patterns.Length];
                    line.LineWidth = 2;
                    line.MarkerSize = 6;
                    line.LegendText = run.Point.Name;
                }
            }
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
            plot.Title($"{regime.Key()}: validation win rate vs base");
            plot.XLabel("optimizer step");
            plot.YLabel("win rate");
            plot.ShowLegend(ScottPlot.Edge.Bottom);
            panels.Add(ImageCodec.Decode(plot.GetImageBytes(560, 520, ScottPlot.ImageFormat.Png), "plot"));
        }
        if (panels.Count > 0) ImageCodec.SavePng(ImageGrid.SideBySide([.. panels]), path);
    }

    /// <summary>
    /// Test win rate vs base per regime and family: the pooled rate with its prompt-clustered interval as a bar,
    /// and each seed's own rate as a small dot beside it.
    /// </summary>
    public static void SaveTest(string path, IReadOnlyList<TestRow> rows)
    {
        using var plot = new ScottPlot.Plot();
        var even = plot.Add.HorizontalLine(0.5);
        even.LinePattern = ScottPlot.LinePattern.Dotted;
        even.Color = ScottPlot.Colors.Gray;
        var ticks = new List<ScottPlot.Tick>();
        var regimes = rows.Select(r => r.Regime).Distinct().ToList();
        int families = StudyFamilies.All.Count;
        foreach (var row in rows)
        {
            double x = regimes.IndexOf(row.Regime) * (families + 1) + (int)row.Family;
            var bar = plot.Add.Line(x, row.PooledWinRate.ClusteredCiLow, x, row.PooledWinRate.ClusteredCiHigh);
            bar.Color = Colour(row.Family);
            bar.LineWidth = 3;
            var marker = plot.Add.Marker(x, row.PooledWinRate.Rate);
            marker.Color = Colour(row.Family);
            marker.Size = 11;
            foreach (var seed in row.Seeds)
            {
                var dot = plot.Add.Marker(x + 0.25, seed.Metrics.WinRate.Rate);
                dot.Color = Colour(row.Family).WithAlpha(0.6);
                dot.Size = 5;
            }
            if ((int)row.Family == families / 2)
                ticks.Add(new ScottPlot.Tick(x, row.Regime.Key()));
        }
        foreach (var family in StudyFamilies.All)
        {
            var legend = plot.Add.Marker(double.NaN, double.NaN);
            legend.Color = Colour(family);
            legend.LegendText = family.Key();
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks]);
        plot.Title("Test win rate vs base: pooled over seeds (prompt-clustered 95% interval), dots = seeds");
        plot.YLabel("win rate");
        plot.ShowLegend(ScottPlot.Edge.Right);
        ImageCodec.SavePng(ImageCodec.Decode(plot.GetImageBytes(1000, 480, ScottPlot.ImageFormat.Png), "plot"), path);
    }
}
