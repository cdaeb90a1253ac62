using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Distributed;

/// <summary>
/// Collectives on tensors and small host arrays, over an <see cref="ICommunicator"/>'s spans. A dense CPU tensor is
/// reduced in its own memory; any other (a CUDA or bfloat16 one) goes through a float32 host copy, correct but not
/// what a GPU job should use (NCCL, or CUDA-aware MPI, on the device buffer). In a group of one every method
/// returns at once, without touching the data.
/// </summary>
public static class TensorCommunication
{
    // Spans are int-indexed: a buffer is sent in views of at most 1 GiB.
    private const long ChunkBytes = 1L << 30;

    /// <summary>
    /// Replaces <paramref name="flat"/> on every process by its mean over all of them (the sum, then ÷ size): the
    /// data-parallel gradient of a loss that is a mean over each process's equal share of the batch.
    /// </summary>
    public static void AllReduceMean(this ICommunicator world, Tensor flat)
    {
        if (world.Size == 1) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        OnHostFloat32(flat, host =>
        {
            foreach (var chunk in Chunks(host)) world.AllReduceSum(MemoryMarshal.Cast<byte, float>(chunk.bytes));
        });
        using var size = world.Size.ToScalar();
        flat.div_(size);
    }

    /// <summary>Copies rank <paramref name="root"/>'s <paramref name="tensor"/> into every process's.</summary>
    public static void Broadcast(this ICommunicator world, Tensor tensor, int root = 0)
    {
        if (world.Size == 1) return;
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        if (tensor.device_type == DeviceType.CPU && tensor.is_contiguous())
        {
            foreach (var chunk in Chunks(tensor)) world.Broadcast(chunk.bytes, root);
            return;
        }
        var host = tensor.to(CPU).contiguous();
        foreach (var chunk in Chunks(host)) world.Broadcast(chunk.bytes, root);
        tensor.copy_(host);
    }

    /// <summary>Replaces <paramref name="values"/> by their element-wise mean over all processes.</summary>
    public static void AllReduceMean(this ICommunicator world, double[] values)
    {
        if (world.Size == 1) return;
        world.AllReduceSum(values);
        for (int i = 0; i < values.Length; i++) values[i] /= world.Size;
    }

    /// <summary>Whether <paramref name="mine"/> is true on any process (alone: <paramref name="mine"/>).</summary>
    public static bool Any(this ICommunicator world, bool mine)
    {
        if (world.Size == 1) return mine;
        var count = new[] { mine ? 1.0 : 0.0 };
        world.AllReduceSum(count);
        return count[0] > 0;
    }

    /// <summary>
    /// Throws unless every process passes the same <paramref name="value"/>: settings or data that differ between
    /// ranks would train each on its own problem while the gradients are averaged as if they were one.
    /// </summary>
    /// <exception cref="DiffusionAlignException">The ranks disagree.</exception>
    public static void CheckSame(this ICommunicator world, long value, string what)
    {
        if (world.Size == 1) return;
        var all = new long[world.Size];
        world.AllGather(MemoryMarshal.AsBytes(new[] { value }.AsSpan()), MemoryMarshal.AsBytes(all.AsSpan()));
        if (all.Distinct().Count() > 1)
            throw new DiffusionAlignException(
                $"the {world.Size} processes disagree on {what} ({string.Join(", ", all)} by rank); "
                + "start every rank with the same flags and data");
    }

    /// <summary>Runs <paramref name="reduce"/> on <paramref name="tensor"/> as a dense float32 CPU tensor.</summary>
    private static void OnHostFloat32(Tensor tensor, Action<Tensor> reduce)
    {
        if (tensor.device_type == DeviceType.CPU && tensor.dtype == ScalarType.Float32 && tensor.is_contiguous())
        {
            reduce(tensor);
            return;
        }
        var host = tensor.to(ScalarType.Float32, CPU).contiguous();
        reduce(host);
        tensor.copy_(host);
    }

    /// <summary>Views of a dense tensor's elements, each at most <see cref="ChunkBytes"/> long.</summary>
    private static IEnumerable<Tensor> Chunks(Tensor dense)
    {
        var flat = dense.view(-1);
        long step = Math.Max(1, ChunkBytes / flat.element_size());
        for (long start = 0; start < flat.numel(); start += step)
            yield return flat.narrow(0, start, Math.Min(step, flat.numel() - start));
    }
}
