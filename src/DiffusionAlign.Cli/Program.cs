using System.CommandLine;
using DiffusionAlign.Bench.Machine;
using DiffusionAlign.Cli.Commands;

namespace DiffusionAlign.Cli;

/// <summary>The <c>dalign</c> entry point: parse, validate, call the library, print.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        // The process's allocator is the CLI's choice, made before LibTorch allocates anything:
        // reuse freed tensor memory (DALIGN_MALLOC=glibc|return to change; see NativeAllocator).
        // The bench sets it itself: its allocator section (a child `dalign bench --allocator-only`)
        // must start from glibc's defaults.
        if (args.FirstOrDefault() != "bench")
        {
            int status = CommandRunner.Run(() =>
            {
                NativeAllocator.ConfigureFromEnvironment();
                return 0;
            });
            if (status != 0) return status;
        }
        return BuildRoot().Parse(args).Invoke();
    }

    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "DiffusionAlign: align text-to-image diffusion models with human preferences (DSPO, Diffusion-DPO, SFT)");
        root.Subcommands.Add(PretrainCommand.Create());
        root.Subcommands.Add(SampleCommand.Create());
        root.Subcommands.Add(PairsCommand.Create());
        root.Subcommands.Add(AlignCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(CacheLatentsCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }
}
