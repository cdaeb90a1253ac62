using System.CommandLine;
using DiffusionAlign.Runtime;
using TorchSharp;

namespace DiffusionAlign.Cli.Commands;

/// <summary>Options several commands share, declared once so names and help stay consistent.</summary>
public static class CommonOptions
{
    public static Option<string> Device() => new("--device")
    {
        Description = "Compute device: cpu, cuda or cuda:N",
        DefaultValueFactory = _ => "cpu",
    };

    public static Option<int?> Threads() => new("--threads")
    {
        Description = "CPU threads for LibTorch (default: all cores; under mpirun, the cores shared among the "
            + "machine's ranks)",
    };

    public static Option<long> Seed(long defaultValue = 0) => new("--seed")
    {
        Description = "Seed fixing data order, noise and initialisation",
        DefaultValueFactory = _ => defaultValue,
    };

    public const string VerboseName = "--verbose";

    /// <summary>A global flag: user errors also print their stack trace.</summary>
    public static Option<bool> Verbose() => new(VerboseName)
    {
        Description = "Print the stack trace of an error too [default: off]", Recursive = true,
    };

    /// <summary>
    /// An option taking one of <paramref name="values"/>, matched case-insensitively (DPO, Dpo and dpo are one
    /// method) and returned as spelled in <paramref name="values"/>; help lists the values.
    /// </summary>
    public static Option<string> Choice(string name, string description, params string[] values) => new(name)
    {
        Description = description,
        HelpName = string.Join('|', values),
        CustomParser = result =>
        {
            string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
            string? match = values.FirstOrDefault(v => v.Equals(text, StringComparison.OrdinalIgnoreCase));
            if (match is null) result.AddError($"{name} must be one of {string.Join(", ", values)}, got '{text}'");
            return match;
        },
    };

    /// <summary>Continue a training run from OUT/checkpoint.</summary>
    /// <summary>
    /// <c>--json</c>: the command's summary as JSON on stdout and nothing else there (progress and logs are on
    /// stderr anyway), for scripts.
    /// </summary>
    public static Option<bool> Json(string what) => new("--json")
    {
        Description = $"Print {what} as JSON on stdout instead of tables (progress and logs stay on stderr)",
    };

    public static Option<bool> Resume() => new("--resume")
    {
        Description = "Continue the run in --out from its checkpoint, with the same flags",
    };

    /// <summary>Replace a previous run in --out instead of refusing to mix two runs' files.</summary>
    public static Option<bool> Overwrite() => new("--overwrite")
    {
        Description = "Delete the checkpoint and metrics of a previous run in --out first",
    };

    /// <summary>Applies --device/--threads: threads first, since LibTorch fixes its pool on first use.</summary>
    public static torch.Device Setup(ParseResult result, Option<string> device, Option<int?> threads)
    {
        int? n = result.GetValue(threads);
        if (n is < 1) throw new DiffusionAlignException($"--threads must be at least 1, got {n}");
        ComputeDevice.ConfigureThreads(n);
        return ComputeDevice.Parse(result.GetValue(device)!);
    }
}
