using TorchSharp;

namespace DiffusionAlign.Data;

/// <summary>
/// Derives every random draw of a training step from (run seed, step, stream) instead of carrying
/// a generator across steps. A resumed run therefore needs no RNG state to continue exactly: step
/// 731 draws the same data order, timesteps and noise whether or not the run was interrupted.
/// </summary>
public static class StepSeeds
{
    /// <summary>Named streams so different uses within a step never share draws.</summary>
    public enum Stream
    {
        Data = 1,
        Timesteps = 2,
        Noise = 3,
        Dropout = 4,
        Flip = 5,
        Sampling = 6,
        Labels = 7,
        Evaluation = 8,
        Split = 9,
        Lora = 10,
        Latents = 11,
        RewardInit = 12,
    }

    /// <summary>A 63-bit seed mixed from the inputs with SplitMix64 (well spread even for adjacent steps).</summary>
    public static long Mix(long seed, long step, Stream stream)
    {
        ulong z = (ulong)seed * 0x9E3779B97F4A7C15UL
            ^ (ulong)step * 0xBF58476D1CE4E5B9UL
            ^ (ulong)stream * 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (long)(z & 0x7FFF_FFFF_FFFF_FFFFUL);
    }

    /// <summary>The 31-bit seed of (seed, step, stream), as the managed generators take it.</summary>
    public static int Int32(long seed, long step, Stream stream) => (int)(Mix(seed, step, stream) & 0x7FFF_FFFF);

    /// <summary>A managed RNG for (seed, step, stream).</summary>
    public static Random Managed(long seed, long step, Stream stream) => new(Int32(seed, step, stream));

    /// <summary>A LibTorch generator for (seed, step, stream); dispose it after the step.</summary>
    public static torch.Generator Torch(long seed, long step, Stream stream, torch.Device? device = null) =>
        new((ulong)Mix(seed, step, stream), device ?? torch.CPU);
}
