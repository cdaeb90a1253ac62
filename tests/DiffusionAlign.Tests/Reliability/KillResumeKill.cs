namespace DiffusionAlign.Tests.Reliability;

/// <summary>What one SIGKILL hit, and how the next start got past it.</summary>
public sealed class KillResumeKill
{
    /// <summary>Which interrupted run (a fresh --out) the kill belongs to; a run that ends starts another.</summary>
    public int Run { get; init; }

    public required string Trigger { get; init; }

    /// <summary>Seconds from the child's start to the kill (LibTorch's load is in there).</summary>
    public double KilledAfterSeconds { get; init; }

    /// <summary>The last step the child logged or printed before dying (null: none yet).</summary>
    public int? StepReached { get; init; }

    /// <summary>The newest step folder renamed into place when it died.</summary>
    public int? NewestCheckpoint { get; init; }

    /// <summary>True when the kill left a checkpoint temp folder: it died inside a checkpoint write.</summary>
    public bool MidWrite { get; init; }

    /// <summary>The temp folder's files and sizes when it died mid-write.</summary>
    public string? PartialWrite { get; init; }

    /// <summary>"resumed", or that resume found nothing and the run started again with --overwrite.</summary>
    public string Recovery { get; set; } = "";

    /// <summary>Warning lines the resumed run printed (a kill never damages a renamed checkpoint: none).</summary>
    public List<string> ResumeWarnings { get; set; } = [];

    public override string ToString() =>
        $"run {Run}: kill {Trigger} at {KilledAfterSeconds:F2} s, step {StepReached?.ToString() ?? "-"}, "
        + $"newest checkpoint {NewestCheckpoint?.ToString() ?? "-"}, "
        + (MidWrite ? $"mid checkpoint write ({PartialWrite})" : "not mid-write") + $"; {Recovery}"
        + (ResumeWarnings.Count > 0 ? $"; warnings: {string.Join(" | ", ResumeWarnings)}" : "");
}
