// Where an online run keeps its rounds: each round's gold and silver pairs, its reward model, and online.json.
using System.Globalization;
using System.Text.Json;
using DiffusionAlign.IO;

namespace DiffusionAlign.Training.Online;

/// <summary>
/// The files of an online run inside its output folder:
/// <code>
/// online.json                      settings and one row per finished round (OnlineSummary)
/// online.jsonl                     the same rows, one JSON line per round
/// rounds/round-001/gold/           the round's gold pairs (a pairs folder with labels.json)
/// rounds/round-001/reward/         the reward model trained on all gold pairs so far
/// rounds/round-001/silver/         the pairs it labelled (absent without silver pairs)
/// rounds/round-001/policy/         the policy at the round's end, a model folder eval and sample read
/// rounds/round-001/round.json      written last: the round's data is complete (PreparedRound)
/// </code>
/// Every JSON file is written atomically.
/// </summary>
public sealed class OnlineRunFolder(string dir)
{
    public const string SummaryFileName = "online.json";
    public const string RoundsLogFileName = "online.jsonl";
    public const string RoundsFolderName = "rounds";
    public const string RoundFileName = "round.json";

    private static readonly JsonSerializerOptions LineOptions =
        new(OnlineSummary.JsonOptions) { WriteIndented = false };

    public string Dir { get; } = dir;

    public string SummaryPath => Path.Combine(Dir, SummaryFileName);

    public string Round(int round) =>
        Path.Combine(Dir, RoundsFolderName, "round-" + round.ToString("D3", CultureInfo.InvariantCulture));

    public string Gold(int round) => Path.Combine(Round(round), "gold");

    public string Silver(int round) => Path.Combine(Round(round), "silver");

    public string Reward(int round) => Path.Combine(Round(round), "reward");

    /// <summary>The policy at the round's end: win rate per gold label spent is measured on these.</summary>
    public string Policy(int round) => Path.Combine(Round(round), "policy");

    /// <summary>The online files a previous run left in <paramref name="dir"/>, by name.</summary>
    public static IReadOnlyList<string> PreviousRunFiles(string dir)
    {
        var found = new List<string>();
        if (File.Exists(Path.Combine(dir, SummaryFileName))) found.Add(SummaryFileName);
        if (File.Exists(Path.Combine(dir, RoundsLogFileName))) found.Add(RoundsLogFileName);
        if (Directory.Exists(Path.Combine(dir, RoundsFolderName))) found.Add(RoundsFolderName + "/");
        return found;
    }

    /// <summary>Deletes a previous run's online files (the rest of the folder is left alone).</summary>
    public static void DeletePreviousRun(string dir)
    {
        foreach (string file in new[] { SummaryFileName, RoundsLogFileName })
            if (File.Exists(Path.Combine(dir, file))) File.Delete(Path.Combine(dir, file));
        string rounds = Path.Combine(dir, RoundsFolderName);
        if (Directory.Exists(rounds)) Directory.Delete(rounds, recursive: true);
    }

    /// <summary>The summary a run wrote, or null if there is none.</summary>
    /// <exception cref="DiffusionAlignException">The file is not a valid summary.</exception>
    public OnlineSummary? ReadSummary() => Read<OnlineSummary>(SummaryPath);

    /// <summary>Writes <c>online.json</c>, then <c>online.jsonl</c> with the same rows.</summary>
    public void WriteSummary(OnlineSummary summary)
    {
        AtomicFile.Write(SummaryPath, s => JsonSerializer.Serialize(s, summary, OnlineSummary.JsonOptions));
        AtomicFile.Write(Path.Combine(Dir, RoundsLogFileName), s =>
        {
            using var writer = new StreamWriter(s, leaveOpen: true);
            foreach (var row in summary.Rounds) writer.WriteLine(JsonSerializer.Serialize(row, LineOptions));
        });
    }

    /// <summary>The round's data record, or null while the round's data is incomplete.</summary>
    public PreparedRound? ReadPrepared(int round) => Read<PreparedRound>(Path.Combine(Round(round), RoundFileName));

    public void WritePrepared(int round, PreparedRound prepared) =>
        AtomicFile.Write(Path.Combine(Round(round), RoundFileName),
            s => JsonSerializer.Serialize(s, prepared, OnlineSummary.JsonOptions));

    /// <summary>Deletes what an interrupted data step of the round left, so the step starts clean.</summary>
    public void ClearRound(int round)
    {
        if (Directory.Exists(Round(round))) Directory.Delete(Round(round), recursive: true);
    }

    private static T? Read<T>(string path) where T : class
    {
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path), OnlineSummary.JsonOptions)
                ?? throw new DiffusionAlignException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException($"{path} is not valid JSON for an online run: {e.Message}");
        }
    }
}
