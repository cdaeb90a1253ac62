namespace DiffusionAlign.Models;

/// <summary>How <see cref="Attention"/> computes softmax(QKᵀ/√d)·V.</summary>
public enum AttentionKernel
{
    /// <summary>LibTorch's fused <c>scaled_dot_product_attention</c> (the default).</summary>
    ScaledDotProduct,

    /// <summary>
    /// Explicit matmul → softmax → matmul, as diffusers' <c>AttnProcessor</c> does. Kept so the
    /// benchmark can show what the fused kernel buys, and as a fallback for devices without it.
    /// </summary>
    MatmulSoftmax,
}
