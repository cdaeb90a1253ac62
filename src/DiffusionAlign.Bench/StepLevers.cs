using DiffusionAlign.Models;
using DiffusionAlign.Training;

namespace DiffusionAlign.Bench;

/// <summary>
/// The performance levers of an alignment step, each of which the benchmark turns off one at a
/// time. <see cref="Fast"/> is what <c>dalign align</c> runs.
/// </summary>
/// <param name="Execution">Reference mode and winners/losers batching.</param>
/// <param name="Kernel">Attention kernel of every attention layer.</param>
/// <param name="ChannelsLast">NHWC convolution weights and input.</param>
/// <param name="SyncEveryStep">
/// Read the loss and every metric back to the host after each step (a naive loop's logging).
/// </param>
/// <param name="Threads">LibTorch intra-op threads.</param>
/// <param name="FlatOptimizer">
/// AdamW and clipping over one flat buffer (<see cref="FlatAdamW"/>) instead of per parameter tensor.
/// </param>
/// <param name="Malloc">
/// glibc malloc mode for the step (see <see cref="Machine.NativeAllocator"/>); null leaves the process's own.
/// </param>
public sealed record StepLevers(StepExecution Execution, AttentionKernel Kernel, bool ChannelsLast, bool SyncEveryStep,
    int Threads, Machine.MallocMode? Malloc, bool FlatOptimizer = true)
{
    public static StepLevers Fast => new(StepExecution.Default, AttentionKernel.ScaledDotProduct,
        ChannelsLast: false, SyncEveryStep: false, Threads: Environment.ProcessorCount, Malloc: null);
}
