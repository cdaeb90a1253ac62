using System.CommandLine;
using DiffusionAlign.Experiments.Study;
using DiffusionAlign.Runtime;

namespace DiffusionAlign.Cli.Commands;

/// <summary>
/// <c>dalign study</c>: the DSPO-vs-DPO study on the shapes world (three data regimes, a grid per method judged on
/// validation, replicate seeds judged once on test), resumable stage by stage. Under <c>mpirun -np N</c> the processes
/// share the sampling and do the runs whole, and rank 0 prints and writes the study's files.
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
        var settings = new Option<string?>("--config")
        {
            Description = "Study settings from a JSON file in the form of the study-config.json every study folder "
                + "holds (settings it leaves out keep the full recipe's), instead of the full or --quick recipe",
            HelpName = "FILE",
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
        foreach (var o in new Option[] { outDir, quick, settings, stage, baseModel, seed, device, threads, json })
            command.Options.Add(o);
        command.SetAction(result => CommandRunner.WithWorld(world => CommandRunner.Run(() =>
        {
            bool root = world.Rank == 0;
            string dir = result.GetValue(outDir)!;
            OutputPath.CheckFolder(dir);
            var dev = CommonOptions.Setup(result, device, threads);
            if (result.GetValue(quick) && result.GetValue(settings) is not null)
                throw new DiffusionAlignException("--quick and --config both choose the settings: give one");
            var recipe = result.GetValue(settings) is string file ? StudyConfig.Read(file)
                : result.GetValue(quick) ? StudyConfig.Quick : StudyConfig.Default;
            // A settings file keeps its own seed unless --seed is given.
            var config = result.GetValue(settings) is not null && result.GetResult(seed) is not { Implicit: false }
                ? recipe
                : recipe with { Seed = result.GetValue(seed) };
            string? only = result.GetValue(stage);
            var onlyStage = only is null ? (StudyStage?)null : StudyStages.Parse(only);
            string basePath = result.GetValue(baseModel) ?? DemoCommand.FindShippedBase();
            var started = DateTime.UtcNow;
            if (root)
                CliOutput.Log($"DiffusionAlign study{(result.GetValue(quick) ? " (quick)" : "")}: base {basePath}, "
                    + $"output {dir}{(only is null ? "" : $", stage {only} only")}");
            if (root && world.Size > 1)
                CliOutput.Log($"distributed: {world.Size} processes share the pairs' and the base's sampling in "
                    + $"whole batches and do the runs and test measurements whole, run i on rank i mod {world.Size}, "
                    + $"{ComputeDevice.Threads()} threads each");
            var cancel = CommandRunner.CancelOnCtrlC();
            string? current = null;
            Action<int, string>? report = null;
            var progress = new ImmediateProgress<StudyProgress>(p =>
            {
                string key = $"{p.Stage} {p.Item} {p.Status.Split(',')[0]}";
                if (key != current)
                {
                    current = key;
                    report = ProgressDisplay.PlainLines($"  {p.Stage} {p.Item}:", p.Total);
                }
                report!(p.Done, p.Status);
            });
            var done = ShapesStudy.Run(basePath, dir, config, onlyStage, dev, root ? progress : null,
                CliOutput.RankLog(world), cancel, world);
            if (!root) return 0; // rank 0 prints and writes
            if (result.GetValue(json))
                CliOutput.Result(done is null ? "null" : StudySummary.From(done, dir).ToJson());
            else if (done is not null)
                foreach (var verdict in done.Verdicts)
                    CliOutput.Result($"{verdict.Regime.Key()}: does DSPO beat DPO? {verdict.Answer}");
            CliOutput.Log($"finished in {(DateTime.UtcNow - started).TotalMinutes:F1} min"
                + (done is null ? "" : $"; see {Path.Combine(dir, StudyLayout.StudyMarkdown)} and "
                    + $"{Path.Combine(dir, StudyLayout.ReportHtml)}"));
            return 0;
        })));
        return command;
    }
}
