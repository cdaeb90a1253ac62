namespace DiffusionAlign.Evaluation;

/// <summary>
/// What an entry of results.json says about its intervals and sample design, next to its own figures. All null
/// in files written before these were recorded.
/// </summary>
public interface IClusteredEntry
{
    /// <summary>How the entry's plain interval (<c>ci_low</c>/<c>ci_high</c>) was computed: "t" or "wilson".</summary>
    string? CiMethod { get; }

    /// <summary>Lower end of the prompt-clustered 95% interval; null with fewer than two prompts.</summary>
    double? ClusteredCiLow { get; }

    /// <summary>Upper end of the prompt-clustered 95% interval; null with fewer than two prompts.</summary>
    double? ClusteredCiHigh { get; }

    /// <summary>How the clustered interval was computed, or why there is none.</summary>
    string? ClusteredCiMethod { get; }

    /// <summary>Distinct prompts behind the entry.</summary>
    int? Prompts { get; }

    /// <summary>Initial noises per prompt.</summary>
    int? Seeds { get; }
}
