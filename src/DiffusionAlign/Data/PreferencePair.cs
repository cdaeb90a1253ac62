using DiffusionAlign.Imaging;

namespace DiffusionAlign.Data;

/// <summary>
/// One human (or simulated) judgement: for <paramref name="Prompt"/>, <paramref name="Winner"/> was
/// preferred over <paramref name="Loser"/>. <paramref name="PWinner"/> optionally carries the label's
/// strength, the probability that the winner is preferred (null for a hard label, as in Pick-a-Pic).
/// </summary>
public sealed record PreferencePair(string Prompt, RgbImage Winner, RgbImage Loser, double? PWinner = null);
