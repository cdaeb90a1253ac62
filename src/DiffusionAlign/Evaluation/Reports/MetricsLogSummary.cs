using System.Text.Json;

namespace DiffusionAlign.Evaluation.Reports;

/// <summary>
/// The last logged values of a training run's <c>metrics.jsonl</c>. A line a crash cut short, or one that is
/// not a JSON object with a step, is counted and skipped: a run still going must not break its report.
/// </summary>
internal sealed record MetricsLogSummary(
    int Lines, int BadLines, double? LastStep, IReadOnlyDictionary<string, double> Last, int SkippedNonFinite)
{
    public static MetricsLogSummary Read(string path)
    {
        int lines = 0, bad = 0, skipped = 0;
        double? lastStep = null;
        var last = new Dictionary<string, double>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            lines++;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("step", out var step)
                    || !step.TryGetDouble(out double stepValue))
                {
                    bad++;
                    continue;
                }
                lastStep = stepValue;
                foreach (var p in root.EnumerateObject())
                {
                    if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetDouble(out double v)) continue;
                    if (p.Name == "skipped_nonfinite_steps") skipped += (int)v;
                    else last[p.Name] = v;
                }
            }
            catch (JsonException)
            {
                bad++;
            }
        }
        last.Remove("step");
        return new MetricsLogSummary(lines, bad, lastStep, last, skipped);
    }
}
