namespace DiffusionAlign.Models;

/// <summary>How <see cref="Attention"/> computes softmax(QKᵀ/√d)·V.</summary>
public enum AttentionKernel
{
    /// <summary>LibTorch's fused <c>scaled_dot_product_attention</c> (the default).</summary>
    ScaledDotProduct,

    /// <summary>
    /// Explicit matmul → softmax → matmul, as diffusers' <c>AttnProcessor</c> does (its
    /// <c>set_attn_processor</c> offers the same choice): a fallback for devices without the fused kernel.
    /// </summary>
    MatmulSoftmax,
}
