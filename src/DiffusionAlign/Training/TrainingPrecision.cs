namespace DiffusionAlign.Training;

/// <summary>The dtype a run computes in.</summary>
public enum TrainingPrecision
{
    /// <summary>float32 everywhere.</summary>
    Fp32,

    /// <summary>
    /// bfloat16 frozen weights and activations, float32 LoRA adapters and optimizer (LoRA runs only).
    /// </summary>
    Bf16,
}
