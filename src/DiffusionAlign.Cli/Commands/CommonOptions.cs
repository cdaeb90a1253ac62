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
        Description = "CPU threads for LibTorch (default: all cores)",
    };

    public static Option<long> Seed(long defaultValue = 0) => new("--seed")
    {
        Description = "Seed fixing data order, noise and initialisation",
        DefaultValueFactory = _ => defaultValue,
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
