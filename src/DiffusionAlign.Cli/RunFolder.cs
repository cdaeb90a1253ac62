using DiffusionAlign.Training;
using DiffusionAlign.Training.Online;

namespace DiffusionAlign.Cli;

/// <summary>
/// A training command's --out folder: its <c>checkpoint/</c> and <c>metrics.jsonl</c> (and an online run's
/// <c>online.json</c>, <c>online.jsonl</c> and <c>rounds/</c>) belong to one run, so a new run never silently mixes
/// with an old one, and --resume never silently starts afresh.
/// </summary>
public sealed class RunFolder
{
    public const string CheckpointFolderName = "checkpoint";

    public const string MetricsFileName = "metrics.jsonl";

    private RunFolder(string dir, bool resuming, bool overwrite)
    {
        Dir = dir;
        Resuming = resuming;
        Overwrite = overwrite;
    }

    public string Dir { get; }

    public string Checkpoint => Path.Combine(Dir, CheckpointFolderName);

    public string Metrics => Path.Combine(Dir, MetricsFileName);

    /// <summary>Whether the command continues the run in <see cref="Dir"/> (--resume).</summary>
    public bool Resuming { get; }

    /// <summary>Whether <see cref="ClearPreviousRun"/> will delete a previous run's files.</summary>
    public bool Overwrite { get; }

    /// <summary>
    /// Checks --out against --resume/--overwrite before any work: resuming needs a checkpoint; starting afresh
    /// in a folder holding another run needs --overwrite. Nothing is deleted yet.
    /// </summary>
    public static RunFolder Check(string dir, bool resume, bool overwrite)
    {
        OutputPath.CheckFolder(dir);
        var run = new RunFolder(dir, resume, overwrite);
        if (resume && overwrite)
            throw new DiffusionAlignException("--resume continues the run in --out, --overwrite replaces it: pick one");
        if (resume)
        {
            if (!TrainingCheckpoint.Exists(run.Checkpoint))
            {
                var left = run.PreviousRunFiles().ToList();
                throw new DiffusionAlignException(left.Count == 0
                    ? $"nothing to resume in {dir} (no {CheckpointFolderName}/); drop --resume to start a new run"
                    : $"nothing to resume in {dir}: the run stopped before its first complete checkpoint "
                      + $"({string.Join(", ", left)}); start it again with --overwrite");
            }
            return run;
        }
        var found = run.PreviousRunFiles().ToList();
        if (found.Count > 0 && !overwrite)
            throw new DiffusionAlignException(
                $"{dir} holds another run ({string.Join(", ", found)}); pass --resume to continue it or "
                + "--overwrite to replace it, or choose another --out");
        return run;
    }

    /// <summary>
    /// With --overwrite, deletes the previous run's checkpoint, metrics and online files; called once the command's
    /// inputs have loaded, so a mistake in them does not cost the old run.
    /// </summary>
    public void ClearPreviousRun()
    {
        if (!Overwrite) return;
        if (Directory.Exists(Checkpoint)) Directory.Delete(Checkpoint, recursive: true);
        if (File.Exists(Metrics)) File.Delete(Metrics);
        OnlineRunFolder.DeletePreviousRun(Dir);
    }

    private IEnumerable<string> PreviousRunFiles()
    {
        if (Directory.Exists(Checkpoint) || TrainingCheckpoint.Exists(Checkpoint))
            yield return CheckpointFolderName + "/";
        if (File.Exists(Metrics)) yield return MetricsFileName;
        foreach (string file in OnlineRunFolder.PreviousRunFiles(Dir)) yield return file;
    }
}
