using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Objectives;

/// <summary>Checks and slicing for the <c>[winners ; losers]</c> batch layout shared by the objectives.</summary>
internal static class PairBatch
{
    /// <summary>
    /// Throws unless all given tensors have one shape whose batch size is positive (and even when
    /// <paramref name="paired"/>).
    /// </summary>
    public static void Validate(bool paired, Tensor modelPred, Tensor? referencePred, Tensor target)
    {
        if (modelPred.dim() < 1) throw new ArgumentException("predictions need a batch axis", nameof(modelPred));
        CheckSameShape(modelPred, target, nameof(target));
        if (referencePred is not null) CheckSameShape(modelPred, referencePred, nameof(referencePred));
        long rows = modelPred.shape[0];
        if (rows == 0) throw new ArgumentException("empty batch", nameof(modelPred));
        if (paired && rows % 2 != 0)
            throw new ArgumentException(
                $"a pair batch stacks winners then losers, so its size must be even; got {rows}", nameof(modelPred));
    }

    /// <summary>The first half of the batch (the winners).</summary>
    public static Tensor Winners(Tensor batch) => batch.narrow(0, 0, batch.shape[0] / 2);

    /// <summary>The second half of the batch (the losers).</summary>
    public static Tensor Losers(Tensor batch) => batch.narrow(0, batch.shape[0] / 2, batch.shape[0] / 2);

    /// <summary>
    /// Reshapes a per-sample vector [B] to [B, 1, ..., 1] so it broadcasts against a batch shaped like
    /// <paramref name="like"/>.
    /// </summary>
    public static Tensor Broadcastable(Tensor perSample, Tensor like)
    {
        var shape = new long[like.dim()];
        Array.Fill(shape, 1L);
        shape[0] = perSample.shape[0];
        return perSample.reshape(shape);
    }

    /// <summary>
    /// Half-precision inputs are upcast so squared errors and their means keep their digits
    /// (the reference code casts to float32 for the same reason).
    /// </summary>
    public static Tensor AtLeastFloat32(Tensor t) =>
        t.dtype is ScalarType.Float16 or ScalarType.BFloat16 ? t.to_type(ScalarType.Float32) : t;

    private static void CheckSameShape(Tensor expected, Tensor actual, string name)
    {
        if (!expected.shape.SequenceEqual(actual.shape))
            throw new ArgumentException(
                $"{name} has shape [{string.Join(", ", actual.shape)}], "
                + $"the model prediction [{string.Join(", ", expected.shape)}]", name);
    }
}
