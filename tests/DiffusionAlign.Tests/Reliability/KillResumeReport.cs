using System.Text.Json;
using Xunit.Abstractions;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// Reports a kill test: one line per kill on the test output, and (when DALIGN_SOAK_REPORT_KILLS names a file)
/// a JSON summary of every kill test of the process, rewritten after each so a failing soak still leaves one.
/// </summary>
public static class KillResumeReport
{
    private static readonly object Gate = new();
    private static readonly List<object> Sections = [];

    public static void Write(ITestOutputHelper output, string name, int seed, KillResumeChain.Result result)
    {
        int midWrite = result.Kills.Count(k => k.MidWrite);
        bool identical = result.Differences.All(d => d is null);
        output.WriteLine($"{name}: {result.Kills.Count} kills (seed {seed}), {midWrite} mid checkpoint write, "
            + $"{result.Differences.Count} interrupted run(s) finished, "
            + (identical ? "all bit-identical" : "NOT all bit-identical") + $", {result.Elapsed.TotalSeconds:F1} s");
        foreach (var kill in result.Kills) output.WriteLine("  " + kill);
        output.WriteLine("  starts: " + string.Join(" | ", result.Starts));
        foreach (string? difference in result.Differences.Where(d => d is not null))
            output.WriteLine("  differs: " + difference);
        string? path = Environment.GetEnvironmentVariable("DALIGN_SOAK_REPORT_KILLS");
        if (string.IsNullOrEmpty(path)) return;
        lock (Gate)
        {
            Sections.Add(new
            {
                name,
                seed,
                killPoints = result.Kills.Count,
                midCheckpointWrite = midWrite,
                runsFinished = result.Differences.Count,
                allBitIdentical = identical,
                differences = result.Differences.Where(d => d is not null).ToList(),
                seconds = Math.Round(result.Elapsed.TotalSeconds, 1),
                kills = result.Kills,
                starts = result.Starts,
            });
            string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null) Directory.CreateDirectory(dir);
            var options = new JsonSerializerOptions
            {
                WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            };
            File.WriteAllText(path, JsonSerializer.Serialize(new { tests = Sections }, options));
        }
    }
}
