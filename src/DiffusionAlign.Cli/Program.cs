using System.CommandLine;
using System.CommandLine.Invocation;
using DiffusionAlign.Bench.Machine;
using DiffusionAlign.Cli.Commands;

namespace DiffusionAlign.Cli;

/// <summary>The <c>dalign</c> entry point: parse, validate, call the library, print.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        MpirunStdout.KeepPlain();
        var root = BuildRoot();
        var parse = root.Parse(args);
        // Help and --version win over errors (their actions clear them); any other failed parse is a user
        // error like the rest: one line and exit code 2, not the whole help page.
        if (parse.Action is ParseErrorAction)
        {
            Console.Error.WriteLine($"dalign: error: {ParseErrors.Describe(parse)}");
            return CommandRunner.UserError;
        }
        CommandRunner.Verbose = parse.GetValue<bool>(CommonOptions.VerboseName);

        // The process's allocator is the CLI's choice, made before LibTorch allocates anything:
        // reuse freed tensor memory (DALIGN_MALLOC=glibc|return to change; see NativeAllocator).
        // The bench sets it itself: its allocator section (a child `dalign bench --allocator-only`)
        // must start from glibc's defaults.
        if (parse.CommandResult.Command.Name != "bench")
        {
            int status = CommandRunner.Run(() =>
            {
                NativeAllocator.ConfigureFromEnvironment();
                return 0;
            });
            if (status != 0) return status;
        }
        return parse.Invoke();
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "DiffusionAlign: align text-to-image diffusion models with human preferences (DSPO, Diffusion-DPO, SFT)");
        root.Options.Add(CommonOptions.Verbose());
        root.Subcommands.Add(PretrainCommand.Create());
        root.Subcommands.Add(SampleCommand.Create());
        root.Subcommands.Add(PairsCommand.Create());
        root.Subcommands.Add(RewardCommand.Create());
        root.Subcommands.Add(AlignCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(MixCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(PlotCommand.Create());
        root.Subcommands.Add(CacheLatentsCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(StudyCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }
}
