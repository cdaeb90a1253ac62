using System.CommandLine;
using DiffusionAlign.Experiments.Study;
using DiffusionAlign.Runtime;

namespace DiffusionAlign.Cli.Commands;

/// <summary>
/// <c>dalign study</c>: the DSPO-vs-DPO study on the shapes world (three data regimes, a grid per method judged on
/// validation, replicate seeds judged once on test), resumable stage by stage.
/// </summary>
public static class StudyCommand
{
    public static Command Create()
    {
        var outDir = new Option<string>("--out")
        {
            Description = "Study folder (rerun with the same flags to continue a stopped study)",
            DefaultValueFactory = _ => "out/study",
        };
        var quick = new Option<bool>("--quick")
        {
            Description = "A few-minute smoke run (too small to prove anything)",
        };
        var stage = CommonOptions.Choice("--stage",
            "Run only this stage, reading the earlier ones from --out (default: every stage not yet done)",
            [.. StudyStages.All.Select(s => s.Key())]);
        var baseModel = new Option<string?>("--base")
        {
            Description = $"Base model folder (default: {DemoCommand.DefaultBase} of this repository)",
        };
        var seed = CommonOptions.Seed(StudyConfig.Default.Seed);
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json("the summary (each regime's answer, the test table, the head-to-heads)");

        var command = new Command("study",
            "DSPO vs Diffusion-DPO on the shapes world: on-policy, off-policy and mixed pairs, a validation grid per "
            + "method, replicate seeds, one test evaluation; writes study.json, study.md, plots and report.html");
        foreach (var o in new Option[] { outDir, quick, stage, baseModel, seed, device, threads, json })
            command.Options.Add(o);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            string dir = result.GetValue(outDir)!;
            OutputPath.CheckFolder(dir);
            var dev = CommonOptions.Setup(result, device, threads);
            var recipe = result.GetValue(quick) ? StudyConfig.Quick : StudyConfig.Default;
            var config = recipe with { Seed = result.GetValue(seed) };
            string? only = result.GetValue(stage);
            var onlyStage = only is null ? (StudyStage?)null : StudyStages.Parse(only);
            string basePath = result.GetValue(baseModel) ?? DemoCommand.FindShippedBase();
            var started = DateTime.UtcNow;
            CliOutput.Log($"DiffusionAlign study{(result.GetValue(quick) ? " (quick)" : "")}: base {basePath}, "
                + $"output {dir}{(only is null ? "" : $", stage {only} only")}");
            var cancel = CommandRunner.CancelOnCtrlC();
            string? current = null;
            Action<int, string>? report = null;
            var done = ShapesStudy.Run(basePath, dir, config, onlyStage, dev,
                new ImmediateProgress<StudyProgress>(p =>
                {
                    string key = $"{p.Stage} {p.Item} {p.Status.Split(',')[0]}";
                    if (key != current)
                    {
                        current = key;
                        report = ProgressDisplay.PlainLines($"  {p.Stage} {p.Item}:", p.Total);
                    }
                    report!(p.Done, p.Status);
                }),
                line => CliOutput.Log(line), cancel);
            if (result.GetValue(json))
                CliOutput.Result(done is null ? "null" : StudySummary.From(done, dir).ToJson());
            else if (done is not null)
                foreach (var verdict in done.Verdicts)
                    CliOutput.Result($"{verdict.Regime.Key()}: does DSPO beat DPO? {verdict.Answer}");
            CliOutput.Log($"finished in {(DateTime.UtcNow - started).TotalMinutes:F1} min"
                + (done is null ? "" : $"; see {Path.Combine(dir, StudyLayout.StudyMarkdown)} and "
                    + $"{Path.Combine(dir, StudyLayout.ReportHtml)}"));
            return 0;
        }));
        return command;
    }
}
