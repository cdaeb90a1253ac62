namespace DiffusionAlign.Objectives;

/// <summary>Builds the objective of an <see cref="AlignMethod"/> from its settings.</summary>
public static class PreferenceObjectives
{
    /// <param name="method">Which objective.</param>
    /// <param name="beta">β of DPO and DSPO (ignored by SFT).</param>
    /// <param name="dspoVariant">DSPO's form (ignored by the others).</param>
    /// <param name="dspoMarginBeta">DSPO's margin scale when it should differ from β; null = β.</param>
    public static IPreferenceObjective Create(AlignMethod method, double beta,
        DspoVariant dspoVariant = DspoVariant.ScoreMatching, double? dspoMarginBeta = null) => method switch
    {
        AlignMethod.Dpo => new DiffusionDpoLoss(beta),
        AlignMethod.Dspo => new DspoLoss(beta, dspoVariant, dspoMarginBeta),
        AlignMethod.Sft => new SftLoss(),
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "unknown alignment method"),
    };
}
