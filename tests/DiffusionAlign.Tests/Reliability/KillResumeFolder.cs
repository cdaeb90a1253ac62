using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// Reads a run's --out folder from outside the process, as the kill tests see it: checkpoint writes under way or
/// done, the newest step folder, the steps metrics.jsonl logged, the progress a child printed.
/// </summary>
public static partial class KillResumeFolder
{
    /// <summary>A folder in checkpoint/: its step, and whether it is a temp folder (a write not renamed yet).</summary>
    public sealed record Write(int Step, bool InProgress, string Path, DateTime LastWriteUtc)
    {
        public string Name => System.IO.Path.GetFileName(Path);
    }

    public static string Checkpoint(string outDir) => Path.Combine(outDir, "checkpoint");

    public static string Metrics(string outDir) => Path.Combine(outDir, "metrics.jsonl");

    /// <summary>The step folders and temp folders in checkpoint/ now.</summary>
    public static List<Write> Writes(string outDir)
    {
        var found = new List<Write>();
        try
        {
            foreach (string dir in Directory.EnumerateDirectories(Checkpoint(outDir)))
            {
                var m = StepFolder().Match(Path.GetFileName(dir));
                if (!m.Success) continue;
                found.Add(new Write(int.Parse(m.Groups["step"].Value, CultureInfo.InvariantCulture),
                    m.Groups["tmp"].Success, dir, Directory.GetLastWriteTimeUtc(dir)));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not created yet, or deleted while listed (an --overwrite start clears it): nothing to see now.
        }
        return found;
    }

    /// <summary>The newest renamed step folder (whether sound or not), or null.</summary>
    public static int? NewestStep(string outDir) =>
        Writes(outDir).Where(w => !w.InProgress).Select(w => (int?)w.Step).Max();

    /// <summary>What a temp folder held when its writer died: each file with its size.</summary>
    public static string Contents(string dir)
    {
        try
        {
            var files = Directory.GetFiles(dir).Order(StringComparer.Ordinal)
                .Select(f => $"{Path.GetFileName(f)} {new FileInfo(f).Length} B").ToList();
            return files.Count == 0 ? "empty" : string.Join(", ", files);
        }
        catch (IOException)
        {
            return "gone";
        }
    }

    /// <summary>The steps metrics.jsonl holds, in file order; lines cut short by a kill are skipped.</summary>
    public static List<int> MetricsSteps(string outDir)
    {
        string path = Metrics(outDir);
        if (!File.Exists(path)) return [];
        var steps = new List<int>();
        foreach (string line in File.ReadLines(path))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                steps.Add(doc.RootElement.GetProperty("step").GetInt32());
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // A partial last line: the process died while writing it.
            }
        }
        return steps;
    }

    /// <summary>The last "done/total" a child printed as progress (pretrain logs no metrics file), or null.</summary>
    public static int? ProgressStep(string stdout) =>
        ProgressLine().Matches(stdout).Select(m => (int?)int.Parse(m.Groups["done"].Value,
            CultureInfo.InvariantCulture)).LastOrDefault();

    [GeneratedRegex(@"^(?<tmp>\.)?step-(?<step>\d{6})(?(tmp)\.tmp)$")]
    private static partial Regex StepFolder();

    [GeneratedRegex(@"^\w+(?: \w+)?: (?<done>\d+)/\d+ ", RegexOptions.Multiline)]
    private static partial Regex ProgressLine();
}
