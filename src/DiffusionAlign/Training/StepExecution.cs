namespace DiffusionAlign.Training;

/// <summary>
/// How an alignment step runs its forwards; the result is the same (up to rounding) in every
/// setting, only time and memory differ. The defaults are the fast choices; the others exist so
/// <c>dalign bench</c> can show what each lever is worth.
/// </summary>
/// <param name="Reference">How the reference forward runs.</param>
/// <param name="BatchWinnersAndLosers">One forward on <c>[x^w ; x^l]</c> (2B images) instead of two forwards of B.</param>
public sealed record StepExecution(ReferenceMode Reference = ReferenceMode.InferenceMode, bool BatchWinnersAndLosers = true)
{
    public static StepExecution Default { get; } = new();
}
