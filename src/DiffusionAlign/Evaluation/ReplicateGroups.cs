namespace DiffusionAlign.Evaluation;

/// <summary>
/// Models given under one name more than once: training replicates of one recipe (the same training under several
/// <c>--seed</c>s). Each replicate is evaluated as a model of its own, named <c>NAME#k</c> (k = 1, 2, … in the order
/// given), and the group <c>NAME</c> is also pooled over all its replicates (<see cref="PooledReplicates"/>).
/// </summary>
/// <param name="Members">Per group, its replicates' model names in order; every group has at least two.</param>
public sealed record ReplicateGroups(IReadOnlyDictionary<string, IReadOnlyList<string>> Members)
{
    /// <summary>No groups: every name given once.</summary>
    public static readonly ReplicateGroups None = new(new Dictionary<string, IReadOnlyList<string>>());

    /// <summary>The model name of replicate <paramref name="k"/> (from 1) of <paramref name="group"/>.</summary>
    public static string MemberName(string group, int k) => $"{group}#{k}";

    /// <summary>
    /// Model names for <paramref name="given"/>, position by position: a name given once stays as it is, a name
    /// given k &gt; 1 times becomes <c>NAME#1</c> … <c>NAME#k</c> and a group.
    /// </summary>
    /// <exception cref="DiffusionAlignException">
    /// Two models would end up with one name (e.g. "a#1" and "a" twice).
    /// </exception>
    public static (IReadOnlyList<string> Names, ReplicateGroups Groups) Assign(IReadOnlyList<string> given)
    {
        var counts = given.GroupBy(n => n).ToDictionary(g => g.Key, g => g.Count());
        var seen = new Dictionary<string, int>();
        var names = new List<string>();
        foreach (var name in given)
        {
            int k = seen[name] = seen.GetValueOrDefault(name) + 1;
            names.Add(counts[name] > 1 ? MemberName(name, k) : name);
        }
        var clash = names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
            throw new DiffusionAlignException(
                $"model name '{clash.Key}' is given once and also names a replicate of a repeated name; rename it");
        var members = counts.Where(kv => kv.Value > 1).ToDictionary(kv => kv.Key,
            kv => (IReadOnlyList<string>)[.. Enumerable.Range(1, kv.Value).Select(k => MemberName(kv.Key, k))]);
        return (names, new ReplicateGroups(members));
    }

    /// <summary>
    /// Checks the groups against the models and the baseline: every replicate is a model, no group shares a model's
    /// name, and the baseline is not a group (replicates are each compared with one baseline's samples).
    /// </summary>
    /// <exception cref="DiffusionAlignException">
    /// The baseline is repeated, or a group does not match the models.
    /// </exception>
    public void Check(IEnumerable<string> models, string baseline)
    {
        CheckBaseline(baseline);
        var names = models.ToHashSet();
        foreach (var (group, members) in Members)
        {
            if (members.Count < 2)
                throw new DiffusionAlignException($"replicate group '{group}' needs at least two models");
            if (names.Contains(group))
                throw new DiffusionAlignException($"replicate group '{group}' has the name of a model");
            var missing = members.FirstOrDefault(m => !names.Contains(m));
            if (missing is not null)
                throw new DiffusionAlignException($"replicate '{missing}' of '{group}' is not among the models");
            if (members.Contains(baseline))
                throw new DiffusionAlignException($"the baseline '{baseline}' cannot be a replicate of '{group}'");
        }
    }

    /// <summary>Refuses a repeated baseline: each replicate is compared with the one baseline's samples.</summary>
    /// <exception cref="DiffusionAlignException">The baseline names a group.</exception>
    public void CheckBaseline(string baseline)
    {
        if (Members.TryGetValue(baseline, out var members))
            throw new DiffusionAlignException(
                $"the baseline '{baseline}' is given {members.Count} times; give it once "
                + "(replicates are compared with one baseline)");
    }
}
