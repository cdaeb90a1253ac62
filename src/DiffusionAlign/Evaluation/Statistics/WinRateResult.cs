namespace DiffusionAlign.Evaluation;

/// <summary>
/// Win rate of model A over model B with a 95% interval. <see cref="Rate"/> = (Wins + Ties/2) / N.
/// </summary>
public sealed record WinRateResult(double Rate, double CiLow, double CiHigh, int N, int Wins, int Ties, int Losses);
