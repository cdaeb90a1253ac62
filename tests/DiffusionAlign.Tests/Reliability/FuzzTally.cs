using System.Text.Json;
using System.Text.Json.Nodes;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// What one format's fuzz run saw: cases, successes, each exception type's count, the largest allocation
/// relative to its input, and every broken contract. Written to the test output and, when
/// <c>DALIGN_FUZZ_REPORT</c> names a file, merged into that JSON file under the format's name.
/// </summary>
public sealed class FuzzTally(string format)
{
    private static readonly object ReportLock = new();

    public string Format { get; } = format;

    public int Cases { get; set; }

    public int Successes { get; set; }

    public SortedDictionary<string, int> Exceptions { get; } = new(StringComparer.Ordinal);

    private readonly List<string> _violations = [];

    /// <summary>
    /// A copy of the broken contracts so far. Locked because after a hang the test thread reports while the
    /// abandoned worker may still finish its case and record one more.
    /// </summary>
    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_violations) return [.. _violations];
        }
    }

    public void Violation(string text)
    {
        lock (_violations) _violations.Add(text);
    }

    public int Warnings { get; set; }

    public double MaxAllocationPerInputByte { get; set; }

    public long MaxAllocatedBytes { get; set; }

    public long MaxResidentGrowth { get; set; }

    public double Seconds { get; set; }

    public string Summary() =>
        $"{Format}: {Cases} cases in {Seconds:F1} s, {Successes} succeeded, "
        + string.Join(", ", Exceptions.Select(e => $"{e.Value} {e.Key}"))
        + $"; {Warnings} warnings; largest allocation {MaxAllocatedBytes / 1024.0:F0} KiB "
        + $"({MaxAllocationPerInputByte:F1} bytes per input byte); resident memory grew by at most "
        + $"{MaxResidentGrowth / 1048576.0:F1} MiB; {Violations.Count} violations";

    public JsonObject ToJson() => new()
    {
        ["cases"] = Cases,
        ["successes"] = Successes,
        ["exceptions"] = new JsonObject(Exceptions.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)e.Value))),
        ["warnings"] = Warnings,
        ["violations"] = Violations.Count,
        // All of them, for a soak's triage; a stack trace is cut to its first lines.
        ["violation_list"] = new JsonArray(Violations.Select(v => (JsonNode?)(v.Length > 1500 ? v[..1500] : v))
            .ToArray()),
        ["max_allocated_bytes"] = MaxAllocatedBytes,
        ["max_allocation_per_input_byte"] = Math.Round(MaxAllocationPerInputByte, 2),
        ["max_resident_growth_bytes"] = MaxResidentGrowth,
        ["seconds"] = Math.Round(Seconds, 2),
        ["seed"] = FuzzSettings.Seed,
    };

    /// <summary>Merges this format's counts into the file <c>DALIGN_FUZZ_REPORT</c> names, if any.</summary>
    public void WriteReport()
    {
        string? path = Environment.GetEnvironmentVariable(FuzzSettings.ReportVariable);
        if (string.IsNullOrEmpty(path)) return;
        lock (ReportLock)
        {
            JsonObject all = File.Exists(path) && JsonNode.Parse(File.ReadAllText(path)) is JsonObject existing
                ? existing
                : new JsonObject();
            all[Format] = ToJson();
            File.WriteAllText(path, all.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
    }
}
