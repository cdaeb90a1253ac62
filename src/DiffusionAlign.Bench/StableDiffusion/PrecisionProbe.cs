using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;
using static TorchSharp.torch;

namespace DiffusionAlign.Bench.StableDiffusion;

/// <summary>
/// One 3×3 convolution of the UNet's first level timed in float32 and in bfloat16: a few seconds that say
/// whether this CPU computes bfloat16 natively (then it is about as fast) or emulates it (many times slower),
/// before a bfloat16 configuration commits minutes to it.
/// </summary>
public sealed record PrecisionProbe(
    [property: JsonPropertyName("shape")] string Shape,
    [property: JsonPropertyName("fp32_seconds")] double Fp32Seconds,
    [property: JsonPropertyName("bf16_seconds")] double Bf16Seconds)
{
    /// <summary>bfloat16's time over float32's.</summary>
    [JsonPropertyName("bf16_slowdown")] public double Slowdown => Bf16Seconds / Fp32Seconds;

    /// <summary>
    /// The best of up to <paramref name="repeats"/> runs in each dtype, after one untimed run each; a dtype whose
    /// first run took over a second is not repeated (that run is its time): it is many times slower either way.
    /// </summary>
    public static PrecisionProbe Measure(int channels, int side, int batch = 2, int repeats = 3)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        var input = randn(batch, channels, side, side);
        var weight = randn(channels, channels, 3, 3);
        double Best(ScalarType dtype)
        {
            using var inner = NewDisposeScope();
            var x = input.to_type(dtype);
            var w = weight.to_type(dtype);
            double Once()
            {
                var clock = Stopwatch.StartNew();
                nn.functional.conv2d(x, w, padding: [1, 1]).Dispose();
                return clock.Elapsed.TotalSeconds;
            }
            double first = Once();
            if (first > 1.0) return first;
            double best = double.MaxValue;
            for (int i = 0; i < repeats; i++) best = Math.Min(best, Once());
            return best;
        }
        string shape = string.Create(CultureInfo.InvariantCulture,
            $"conv3x3 [{batch}, {channels}, {side}, {side}] × [{channels}, {channels}, 3, 3]");
        return new PrecisionProbe(shape, Best(ScalarType.Float32), Best(ScalarType.BFloat16));
    }
}
