using System.CommandLine;
using DiffusionAlign.Experiments;
using DiffusionAlign.Runtime;

namespace DiffusionAlign.Cli.Commands;

/// <summary>
/// <c>dalign demo</c>: the whole pipeline on the embedded shapes world, from the shipped base model. Under
/// <c>mpirun -np N</c> the processes share the sampling and train the alignment runs whole; rank 0 prints and writes.
/// </summary>
public static class DemoCommand
{
    public const string DefaultBase = "models/shapes-base";

    public static Command Create()
    {
        var outDir = new Option<string>("--out")
        {
            Description = "Output folder", DefaultValueFactory = _ => "out/demo",
        };
        var quick = new Option<bool>("--quick")
        {
            Description = "A few-minute smoke run (too small to prove anything)",
        };
        var baseModel = new Option<string?>("--base")
        {
            Description = $"Base model folder (default: {DefaultBase} of this repository)",
        };
        var seed = CommonOptions.Seed(DemoConfig.Default.Seed);
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var json = CommonOptions.Json("the results (results.json's content)");

        var command = new Command("demo",
            "Pairs → labels → SFT, Diffusion-DPO, DSPO → evaluation against the base, on the shapes world");
        foreach (var o in new Option[] { outDir, quick, baseModel, seed, device, threads, json })
            command.Options.Add(o);
        command.SetAction(result => CommandRunner.WithWorld(world => CommandRunner.Run(() =>
        {
            bool root = world.Rank == 0;
            OutputPath.CheckFolder(result.GetValue(outDir));
            var dev = CommonOptions.Setup(result, device, threads);
            var recipe = result.GetValue(quick) ? DemoConfig.Quick : DemoConfig.Default;
            var config = recipe with { Seed = result.GetValue(seed) };
            string basePath = result.GetValue(baseModel) ?? FindShippedBase();
            string dir = result.GetValue(outDir)!;
            var started = DateTime.UtcNow;
            string quickNote = result.GetValue(quick) ? " (quick)" : "";
            if (root) CliOutput.Log($"DiffusionAlign demo{quickNote}: base {basePath}, output {dir}");
            if (root && world.Size > 1)
                CliOutput.Log($"distributed: {world.Size} processes share the sampling in whole batches and train "
                    + $"the {config.Methods().Count()} alignment runs whole, run i on rank i mod {world.Size}, "
                    + $"{ComputeDevice.Threads()} threads each");
            var cancel = CommandRunner.CancelOnCtrlC();
            Evaluation.EvaluationResults results = null!;
            string? current = null;
            Action<int, string>? report = null;
            var progress = new ImmediateProgress<ShapesAlignmentDemo.Stage>(s =>
            {
                if (s.Name != current)
                {
                    current = s.Name;
                    report = ProgressDisplay.PlainLines($"  {s.Name}:", s.Total);
                }
                report!(s.Done, s.Status);
            });
            results = ShapesAlignmentDemo.Run(basePath, dir, config, dev, root ? progress : null,
                CliOutput.RankLog(world), cancel, world);
            if (!root) return 0; // rank 0 prints and writes
            if (result.GetValue(json)) CliOutput.Result(results.ToJson());
            else ResultsTable.Print(results);
            CliOutput.Log($"wrote {Path.Combine(dir, "results.json")}, samples.png (rows: "
                + $"{string.Join(", ", results.Models.Keys)}; same noise per column), training.png, "
                + $"{ShapesAlignmentDemo.ReportFileName} in "
                + $"{(DateTime.UtcNow - started).TotalMinutes:F1} min");
            return 0;
        })));
        return command;
    }

    /// <summary>
    /// The shipped base model: relative to the working directory, else found above the executable
    /// (dotnet run from anywhere in the repository).
    /// </summary>
    internal static string FindShippedBase()
    {
        if (Directory.Exists(DefaultBase)) return DefaultBase;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, DefaultBase);
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DiffusionAlignException(
            $"cannot find the shipped base model ({DefaultBase}); run from the repository root or pass --base DIR");
    }
}
