using static TorchSharp.torch;

namespace DiffusionAlign.Objectives;

/// <summary>
/// What an objective hands back to the trainer: the scalar loss to back-propagate and detached scalar
/// metrics (still on the device, so the trainer decides when to pay for reading them).
/// Metric names are listed in <see cref="ObjectiveMetrics"/>.
/// </summary>
public sealed record ObjectiveOutput(Tensor Loss, IReadOnlyDictionary<string, Tensor> Metrics) : IDisposable
{
    /// <summary>Frees the loss and metric tensors when they were created outside a dispose scope.</summary>
    public void Dispose()
    {
        Loss.Dispose();
        foreach (var metric in Metrics.Values) metric.Dispose();
    }
}
