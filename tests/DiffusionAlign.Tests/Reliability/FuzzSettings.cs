namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// How many cases each fuzzed format gets and from which seed. CI runs the defaults; a soak raises
/// <c>DALIGN_FUZZ_CASES</c> (cases per format) and varies <c>DALIGN_FUZZ_SEED</c>. Case i of a format always
/// draws from the same generator, so a failure reported as "case 123" replays alone with
/// <c>DALIGN_FUZZ_CASE=123</c>.
/// </summary>
public static class FuzzSettings
{
    public const string CasesVariable = "DALIGN_FUZZ_CASES";
    public const string SeedVariable = "DALIGN_FUZZ_SEED";
    public const string ReportVariable = "DALIGN_FUZZ_REPORT";
    public const string OnlyCaseVariable = "DALIGN_FUZZ_CASE";

    /// <summary>Cases for one format: <c>DALIGN_FUZZ_CASES</c> when set, else <paramref name="ciDefault"/>.</summary>
    public static int Cases(int ciDefault) =>
        int.TryParse(Environment.GetEnvironmentVariable(CasesVariable), out int n) && n > 0 ? n : ciDefault;

    /// <summary>The indices of the cases to run: all of them, or the one <c>DALIGN_FUZZ_CASE</c> names.</summary>
    public static IEnumerable<int> Indices(int cases) =>
        int.TryParse(Environment.GetEnvironmentVariable(OnlyCaseVariable), out int only) ? [only]
            : Enumerable.Range(0, cases);

    public static int Seed =>
        int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), out int seed) ? seed : 20250101;

    /// <summary>
    /// The generator of case <paramref name="index"/> of <paramref name="format"/>. FNV-1a rather than
    /// string.GetHashCode, which differs from process to process.
    /// </summary>
    public static Random CaseRandom(string format, int index)
    {
        uint hash = 2166136261;
        foreach (char c in format) hash = (hash ^ c) * 16777619;
        return new Random(unchecked((int)hash) ^ (Seed * 1_000_003) ^ (index * 7_919));
    }
}
