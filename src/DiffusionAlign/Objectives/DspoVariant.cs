namespace DiffusionAlign.Objectives;

/// <summary>Which of the DSPO authors' two loss branches to use (docs/method.md, "DSPO").</summary>
public enum DspoVariant
{
    /// <summary>
    /// The paper's objective (authors' SD1.5 branch): score matching on winners toward a target shifted by
    /// <c>β·g·(ε_θ^w − ε_ref^w)</c>.
    /// </summary>
    ScoreMatching,

    /// <summary>
    /// The authors' SDXL branch: <c>mean((g·(ε_θ^w − ε_ref^w))²)</c> when the winner score gap is large,
    /// else <c>mean(g²)</c>; no denoising term. An option for comparison, not the default.
    /// </summary>
    Sdxl,
}
