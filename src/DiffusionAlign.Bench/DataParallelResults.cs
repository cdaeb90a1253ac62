using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace DiffusionAlign.Bench;

/// <summary>One global batch of the data-parallel step, timed in one layout (medians over the timed steps).</summary>
/// <param name="ComputeSeconds">Forward and backward of rank 0's shard.</param>
/// <param name="SlowestComputeSeconds">The largest of every process's compute median.</param>
/// <param name="WaitSeconds">Rank 0's wait at a barrier for the other processes to finish their compute.</param>
/// <param name="AllReduceSeconds">The all-reduce of the flat gradient buffer (after the barrier).</param>
/// <param name="OptimizerSeconds">Finiteness check, clipping and the AdamW update.</param>
/// <param name="AllReduceBytes">The gradient buffer all-reduced each step (float32, every trainable weight).</param>
/// <param name="RingBytesPerProcess">
/// 2(N − 1)/N × that: what a ring all-reduce sends per process (a model of the traffic, not measured).
/// </param>
/// <param name="AllReduceShare">All-reduce seconds over step seconds.</param>
/// <param name="Parameters">Weights trained (the layout records them).</param>
public sealed record DataParallelCaseTiming(
    [property: JsonPropertyName("global_pairs")] int GlobalPairs,
    [property: JsonPropertyName("pairs_per_process")] int PairsPerRank,
    [property: JsonPropertyName("step_seconds")] double StepSeconds,
    [property: JsonPropertyName("pairs_per_second")] double PairsPerSecond,
    [property: JsonPropertyName("compute_seconds")] double ComputeSeconds,
    [property: JsonPropertyName("slowest_compute_seconds")] double SlowestComputeSeconds,
    [property: JsonPropertyName("wait_seconds")] double WaitSeconds,
    [property: JsonPropertyName("allreduce_seconds")] double AllReduceSeconds,
    [property: JsonPropertyName("optimizer_seconds")] double OptimizerSeconds,
    [property: JsonPropertyName("allreduce_bytes")] long AllReduceBytes,
    [property: JsonPropertyName("ring_bytes_per_process")] long RingBytesPerProcess,
    [property: JsonPropertyName("allreduce_share")] double AllReduceShare,
    [property: JsonIgnore] long Parameters = 0);

/// <summary>
/// The data-parallel step in one layout: <see cref="Processes"/> × <see cref="ThreadsPerProcess"/>, on a machine of
/// <see cref="Cores"/> cores (rank 0's).
/// </summary>
public sealed record DataParallelLayoutResult(
    [property: JsonPropertyName("processes")] int Processes,
    [property: JsonPropertyName("threads_per_process")] int ThreadsPerProcess,
    [property: JsonPropertyName("cores")] int Cores,
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("image_size")] int ImageSize,
    [property: JsonPropertyName("trainable_parameters")] long Parameters,
    [property: JsonPropertyName("warmup_steps")] int WarmupSteps,
    [property: JsonPropertyName("timed_steps")] int TimedSteps,
    [property: JsonPropertyName("cases")] IReadOnlyList<DataParallelCaseTiming> Cases,
    [property: JsonPropertyName("measured_utc")] string MeasuredUtc)
{
    /// <summary>"processes x threads", the layout's key in the results, e.g. 2x1.</summary>
    [JsonIgnore]
    public string Layout => $"{Processes}x{ThreadsPerProcess}";
}

/// <summary>
/// A layout of several processes against one process with as many threads (the same cores): its throughput over
/// the single process's. Above 1, data parallelism uses those cores better than LibTorch's threads do.
/// </summary>
public sealed record ScalingEfficiency(
    [property: JsonPropertyName("layout")] string Layout,
    [property: JsonPropertyName("against")] string Against,
    [property: JsonPropertyName("global_pairs")] int GlobalPairs,
    [property: JsonPropertyName("pairs_per_second")] double PairsPerSecond,
    [property: JsonPropertyName("against_pairs_per_second")] double AgainstPairsPerSecond,
    [property: JsonPropertyName("efficiency")] double Efficiency);

/// <summary>
/// The <c>mpi</c> section of bench.json: each layout's timings under its key (a run replaces its own layout and keeps
/// the others), and the scaling efficiency of every multi-process layout for which the single process on the same
/// cores was measured too.
/// </summary>
public static class DataParallelResults
{
    public const string Key = "mpi";

    private const string LayoutsKey = "layouts", ScalingKey = "scaling", HowKey = "how";

    private const string How = "dalign bench --mpi: DSPO full fine-tune steps of the shapes model, each process "
        + "training its share of the global batch; medians over the timed steps of the step and its phases (compute "
        + "= forward and backward of the shard, wait = a barrier until the slowest process is done, the all-reduce of "
        + "the flat gradient, the optimizer); ring_bytes_per_process is 2(N-1)/N x allreduce_bytes, a model of the "
        + "traffic; efficiency = pairs/s of N processes x T threads over pairs/s of 1 process x N*T threads";

    /// <summary>
    /// <paramref name="section"/> (the existing one, or null) with <paramref name="result"/>'s layout set and the
    /// scaling recomputed.
    /// </summary>
    public static JsonObject Merge(JsonNode? section, DataParallelLayoutResult result)
    {
        var layouts = section?[LayoutsKey] as JsonObject is { } old ? (JsonObject)old.DeepClone() : new JsonObject();
        layouts[result.Layout] = JsonSerializer.SerializeToNode(result);
        var all = layouts.Select(kv => kv.Value.Deserialize<DataParallelLayoutResult>()!).ToList();
        return new JsonObject
        {
            [HowKey] = How,
            [LayoutsKey] = layouts,
            [ScalingKey] = JsonSerializer.SerializeToNode(Scaling(all)),
        };
    }

    /// <summary>Each multi-process layout's cases against the single process on as many cores, if measured.</summary>
    public static List<ScalingEfficiency> Scaling(IReadOnlyList<DataParallelLayoutResult> layouts)
    {
        var scaling = new List<ScalingEfficiency>();
        foreach (var layout in layouts.Where(l => l.Processes > 1).OrderBy(l => l.Layout, StringComparer.Ordinal))
        {
            var single = layouts.FirstOrDefault(l =>
                l.Processes == 1 && l.ThreadsPerProcess == layout.Processes * layout.ThreadsPerProcess);
            if (single is null) continue;
            foreach (var c in layout.Cases)
            {
                var against = single.Cases.FirstOrDefault(s => s.GlobalPairs == c.GlobalPairs);
                if (against is null) continue;
                scaling.Add(new ScalingEfficiency(layout.Layout, single.Layout, c.GlobalPairs, c.PairsPerSecond,
                    against.PairsPerSecond, c.PairsPerSecond / against.PairsPerSecond));
            }
        }
        return scaling;
    }
}
