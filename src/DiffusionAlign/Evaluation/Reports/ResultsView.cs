using System.Text.Json.Nodes;

namespace DiffusionAlign.Evaluation.Reports;

/// <summary>A name and its display text.</summary>
internal sealed record Field(string Name, string Value);

/// <summary>
/// An entry's second, prompt-clustered interval where results.json has one, and how each interval was made
/// (<c>ci_method</c>, <c>clustered_ci_method</c>), shown once under the table rather than in every row.
/// </summary>
internal sealed record ClusteredInterval(double? Low, double? High, IReadOnlyList<Field> Methods)
{
    public static readonly string[] Keys =
        ["ci_method", "clustered_ci_low", "clustered_ci_high", "clustered_ci_method"];

    public static ClusteredInterval From(JsonObject o) => new(
        JsonRead.Number(o, "clustered_ci_low"), JsonRead.Number(o, "clustered_ci_high"),
        new[] { "ci_method", "clustered_ci_method" }
            .Where(k => JsonRead.Text(o[k]) is not null)
            .Select(k => new Field(k, JsonRead.Text(o[k])!))
            .ToList());

    public string? Text(int decimals) => Low is null || High is null
        ? null
        : $"[{Format.Fixed(Low, decimals)}, {Format.Fixed(High, decimals)}]";
}

/// <summary>One win-rate entry (ties counted ½, 95% interval); keys this version does not know go to Extra.</summary>
internal sealed record WinRateRow(
    double? Rate, double? CiLow, double? CiHigh, int? N, int? Wins, int? Ties, int? Losses,
    ClusteredInterval Clustered, IReadOnlyList<Field> Extra)
{
    private static readonly HashSet<string> Known =
        ["vs", "rate", "ci_low", "ci_high", "n", "wins", "ties", "losses", .. ClusteredInterval.Keys];

    public static WinRateRow From(JsonObject o) => new(
        JsonRead.Number(o, "rate"), JsonRead.Number(o, "ci_low"), JsonRead.Number(o, "ci_high"),
        JsonRead.Integer(o, "n"), JsonRead.Integer(o, "wins"), JsonRead.Integer(o, "ties"),
        JsonRead.Integer(o, "losses"), ClusteredInterval.From(o), ResultsView.ExtraFields(o, Known));

    public string Interval => Format.WithInterval(Rate, CiLow, CiHigh, 3);

    public string Counts => N is null && Wins is null
        ? Format.Missing
        : $"{Format.Count(N)} / {Format.Count(Wins)} / {Format.Count(Ties)} / {Format.Count(Losses)}";
}

/// <summary>One model's row of the results table, from every per-model section of results.json.</summary>
internal sealed record ModelRow(
    string Name, double? MeanReward, double? RewardLow, double? RewardHigh, ClusteredInterval? RewardClustered,
    double? ColourAccuracy, int? N, WinRateRow? Win, double? RankingAccuracy, double? ImplicitAccuracy,
    IReadOnlyList<Field> Extra);

/// <summary>
/// A replicate group's <c>across_replicates</c> figures as display text ("mean ± sd [min, max]"), in file order.
/// </summary>
internal sealed record ReplicateRow(string Group, IReadOnlyList<string> Replicates, IReadOnlyList<Field> Spreads);

/// <summary>
/// results.json (see <see cref="EvaluationResults"/>) read tolerantly: known sections in their expected shape
/// feed the results table; anything else, including a known key of another shape, is kept for display as is.
/// </summary>
internal sealed class ResultsView
{
    private static readonly HashSet<string> ScoreKeys =
    [
        "mean_reward", "mean_reward_ci_low", "mean_reward_ci_high", "colour_accuracy", "n", .. ClusteredInterval.Keys,
    ];

    public string? Baseline { get; private init; }

    public List<ModelRow> Models { get; } = [];

    public List<(string Key, WinRateRow Entry)> HeadToHead { get; } = [];

    /// <summary>Replicate groups (<c>pooled</c>); each group's pooled row is in <see cref="Models"/> too.</summary>
    public List<ReplicateRow> Replicates { get; } = [];

    /// <summary>The single numbers describing the evaluation as a whole.</summary>
    public List<Field> Facts { get; } = [];

    public List<Field> Settings { get; } = [];

    /// <summary>Keys this version does not display in the table, in file order.</summary>
    public List<(string Key, JsonNode? Value)> Other { get; } = [];

    public static ResultsView From(JsonObject root)
    {
        var view = new ResultsView { Baseline = JsonRead.Text(root["baseline"]) };
        var models = ObjectOfObjects(root["models"]);
        var winRate = ObjectOfObjects(root["win_rate"]);
        var headToHead = ObjectOfObjects(root["head_to_head"]);
        var ranking = ObjectOfNumbers(root["ranking_accuracy"]);
        var implicitAcc = ObjectOfNumbers(root["implicit_reward_accuracy"]);
        var settings = root["settings"] as JsonObject;
        var pooled = PooledGroups(root["pooled"]);

        // Rows in file order: the models section first (baseline first as written), then any model only ranked.
        var names = new List<string>();
        foreach (var section in new IEnumerable<string>?[]
                 {
                     models?.Keys, winRate?.Keys, ranking?.Keys, implicitAcc?.Keys,
                 })
            foreach (var name in section ?? [])
                if (!names.Contains(name)) names.Add(name);
        foreach (var name in names)
        {
            view.Models.Add(Row(name, models?.GetValueOrDefault(name), winRate?.GetValueOrDefault(name),
                Lookup(ranking, name), Lookup(implicitAcc, name)));
            // A replicate group's pooled row follows its last replicate.
            foreach (var group in pooled?.Where(g => g.Replicates.LastOrDefault() == name) ?? [])
                view.Models.Add(Row($"{group.Name} (pooled, {group.Replicates.Count} replicates)", group.Scores,
                    group.WinRate, null, null));
        }
        foreach (var group in pooled ?? [])
            view.Replicates.Add(new ReplicateRow(group.Name, group.Replicates, group.Spreads));
        foreach (var (key, entry) in headToHead ?? []) view.HeadToHead.Add((key, WinRateRow.From(entry)));

        AddFact(view, root, "noise_image_reward", "mean reward of uniform-noise images (the floor)", 4);
        AddFact(view, root, "held_out_pairs", "held-out pairs ranked", 0);
        AddFact(view, root, "label_reward_agreement", "held-out labels agreeing with the true reward order", 3);
        AddFact(view, root, "idealized_ranking_accuracy", "idealized ranking accuracy (exact DPO optimum)", 3);
        if (settings is not null)
            foreach (var (key, value) in settings) view.Settings.Add(new Field(key, JsonRead.Scalar(value)));

        var shown = new Dictionary<string, bool>
        {
            ["baseline"] = view.Baseline is not null,
            ["models"] = models is not null,
            ["win_rate"] = winRate is not null,
            ["head_to_head"] = headToHead is not null,
            ["ranking_accuracy"] = ranking is not null,
            ["implicit_reward_accuracy"] = implicitAcc is not null,
            ["settings"] = settings is not null && settings.All(kv => JsonRead.IsScalar(kv.Value)),
            ["pooled"] = pooled is not null,
        };
        foreach (var fact in new[]
                     { "noise_image_reward", "held_out_pairs", "label_reward_agreement", "idealized_ranking_accuracy" })
            shown[fact] = JsonRead.Number(root[fact]) is not null || root[fact] is null;
        foreach (var (key, value) in root)
            if (!shown.GetValueOrDefault(key)) view.Other.Add((key, value));
        return view;
    }

    private static ModelRow Row(
        string name, JsonObject? scores, JsonObject? win, double? ranking, double? implicitAcc) =>
        new(name, JsonRead.Number(scores, "mean_reward"), JsonRead.Number(scores, "mean_reward_ci_low"),
            JsonRead.Number(scores, "mean_reward_ci_high"),
            scores is null ? null : ClusteredInterval.From(scores), JsonRead.Number(scores, "colour_accuracy"),
            JsonRead.Integer(scores, "n"), win is null ? null : WinRateRow.From(win), ranking, implicitAcc,
            scores is null ? [] : ExtraFields(scores, ScoreKeys));

    private sealed record PooledGroup(string Name, List<string> Replicates, JsonObject? Scores, JsonObject? WinRate,
        List<Field> Spreads);

    /// <summary>
    /// The <c>pooled</c> section when every group has the expected shape (a list of replicate names, objects for
    /// the rest); null otherwise, and the section is then shown as it is.
    /// </summary>
    private static List<PooledGroup>? PooledGroups(JsonNode? node)
    {
        var groups = ObjectOfObjects(node);
        if (groups is null) return null;
        var result = new List<PooledGroup>();
        foreach (var (name, group) in groups)
        {
            if (group["replicates"] is not JsonArray names || names.Any(n => JsonRead.Text(n) is null)) return null;
            var across = group["across_replicates"] as JsonObject;
            var spreads = across?.Where(kv => kv.Value is JsonObject)
                .Select(kv => new Field(kv.Key, SpreadText((JsonObject)kv.Value!, kv.Key.Contains("reward") ? 4 : 3)))
                .ToList() ?? [];
            result.Add(new PooledGroup(name, [.. names.Select(n => JsonRead.Text(n)!)],
                group["scores"] as JsonObject, group["win_rate"] as JsonObject, spreads));
        }
        return result;
    }

    private static string SpreadText(JsonObject s, int decimals) =>
        $"{Format.Fixed(JsonRead.Number(s, "mean"), decimals)} ± {Format.Fixed(JsonRead.Number(s, "sd"), decimals)} "
        + $"[{Format.Fixed(JsonRead.Number(s, "min"), decimals)}, {Format.Fixed(JsonRead.Number(s, "max"), decimals)}]";

    /// <summary>The scalar keys of an entry outside <paramref name="known"/>, e.g. a clustered interval.</summary>
    public static IReadOnlyList<Field> ExtraFields(JsonObject entry, IReadOnlySet<string> known) =>
        entry.Where(kv => !known.Contains(kv.Key))
            .Select(kv => new Field(kv.Key, JsonRead.IsScalar(kv.Value) ? JsonRead.Scalar(kv.Value)
                : kv.Value!.ToJsonString()))
            .ToList();

    private static void AddFact(ResultsView view, JsonObject root, string key, string label, int decimals)
    {
        if (JsonRead.Number(root[key]) is double value)
            view.Facts.Add(new Field(label, decimals == 0 ? Format.Number(value) : Format.Fixed(value, decimals)));
    }

    private static double? Lookup(Dictionary<string, double>? values, string name) =>
        values is not null && values.TryGetValue(name, out var v) ? v : null;

    private static Dictionary<string, JsonObject>? ObjectOfObjects(JsonNode? node)
    {
        if (node is not JsonObject o || o.Any(kv => kv.Value is not JsonObject)) return null;
        return o.ToDictionary(kv => kv.Key, kv => (JsonObject)kv.Value!);
    }

    private static Dictionary<string, double>? ObjectOfNumbers(JsonNode? node)
    {
        if (node is not JsonObject o || o.Any(kv => JsonRead.Number(kv.Value) is null)) return null;
        return o.ToDictionary(kv => kv.Key, kv => JsonRead.Number(kv.Value)!.Value);
    }
}
