// A finished round's diagnostics as a line of the run's metrics.jsonl, beside the policy steps' lines.
using System.Text.Json;
using DiffusionAlign.IO;

namespace DiffusionAlign.Training.Online;

/// <summary>
/// Appends each finished round's row (<see cref="OnlineRoundReport"/>: the learned and true rewards, their rank
/// correlation, the changes with intervals and the <c>hacking</c> flag) to <c>metrics.jsonl</c>, so a tool that
/// follows the training log sees the diagnostics where it sees the loss. The line carries the round's last
/// <c>step</c> and no <c>loss</c>: readers that plot a metric skip it, and a resume that truncates the log after
/// its checkpoint keeps exactly the rounds that checkpoint has finished.
/// </summary>
public static class RoundMetricsLine
{
    private static readonly JsonSerializerOptions Options = new(OnlineSummary.JsonOptions) { WriteIndented = false };

    /// <summary>Appends <paramref name="report"/>'s line unless the log already holds that round's (a resumed
    /// run that stopped between writing it and recording the round).</summary>
    public static void Append(string metricsPath, OnlineRoundReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var lines = File.Exists(metricsPath) ? File.ReadAllLines(metricsPath).ToList() : [];
        if (lines.Any(line => IsRound(line, report.Round))) return;
        lines.Add(JsonSerializer.Serialize(report, Options));
        // Rewritten whole and atomically: a kill mid-write must not leave a torn last line.
        AtomicFile.Write(metricsPath, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            foreach (string l in lines) writer.WriteLine(l);
        });
    }

    /// <summary>Whether <paramref name="line"/> is round <paramref name="round"/>'s line.</summary>
    public static bool IsRound(string line, int round)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("round", out var r) && r.TryGetInt32(out int k) && k == round;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
