using System.Text.Json;
using System.Text.Json.Serialization;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>What a GC-stress run did, in the JSON written to the test output and to DALIGN_SOAK_REPORT.</summary>
/// <param name="BudgetSeconds">Wall time asked for: no work starts after it, but the first round always runs.</param>
/// <param name="Gen2Collections">Gen-2 collections in the process over the run (GC.CollectionCount(2) delta).</param>
/// <param name="ForcedFullCollections">Gen-2 collections the stress thread forced.</param>
/// <param name="ForcedYoungCollections">Gen-0 collections it forced between them.</param>
/// <param name="WorkingSetAfterFirstRoundMb">Resident memory once every kind of work has run once.</param>
/// <param name="WorkingSetAtEndMb">Resident memory at the end: close to the first figure if nothing leaks.</param>
public sealed record GcStressSummary(
    [property: JsonPropertyName("budget_seconds")] double BudgetSeconds,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("rounds")] int Rounds,
    [property: JsonPropertyName("steps")] IReadOnlyDictionary<string, int> Steps,
    [property: JsonPropertyName("samples")] int Samples,
    [property: JsonPropertyName("evaluations")] int Evaluations,
    [property: JsonPropertyName("gen2_collections")] int Gen2Collections,
    [property: JsonPropertyName("forced_full_collections")] int ForcedFullCollections,
    [property: JsonPropertyName("forced_young_collections")] int ForcedYoungCollections,
    [property: JsonPropertyName("nonfinite_losses")] int NonFiniteLosses,
    [property: JsonPropertyName("working_set_after_first_round_mb")] long WorkingSetAfterFirstRoundMb,
    [property: JsonPropertyName("working_set_at_end_mb")] long WorkingSetAtEndMb)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, Indented);
}
