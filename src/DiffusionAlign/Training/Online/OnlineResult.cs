// What an online run hands back: the aligned policy and its rounds.
namespace DiffusionAlign.Training.Online;

/// <summary>
/// The policy at the end of the last round (a new model the caller disposes) and every round's report.
/// </summary>
public sealed record OnlineResult(Pipelines.TextToImageModel Policy, IReadOnlyList<OnlineRoundReport> Rounds);
