using DiffusionAlign.Models;
using DiffusionAlign.Schedulers;
using Xunit.Abstractions;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// Damaged <c>config.json</c> and <c>scheduler_config.json</c> files: loading one gives a config that validates,
/// or a <see cref="DiffusionAlignException"/> whose one line names the file and, for a damaged value, its key.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class FuzzConfigTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestModels.TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static (string Seed, Func<string, object> Load) Format(string format) => format switch
    {
        "unet-config" => (FuzzSeeds.UnetConfig, path => UNet2DConditionConfig.Load(path)),
        "vae-config" => (FuzzSeeds.VaeConfig, path => AutoencoderKLConfig.Load(path)),
        "clip-config" => (FuzzSeeds.ClipConfig, path => ClipTextConfig.Load(path)),
        "scheduler-config" => (FuzzSeeds.SchedulerConfig, path => NoiseScheduleConfig.Load(path)),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    [Theory]
    [InlineData("unet-config")]
    [InlineData("vae-config")]
    [InlineData("clip-config")]
    [InlineData("scheduler-config")]
    public void DamagedConfigsLoadOrFailNamingTheFileAndKey(string format)
    {
        var (seed, load) = Format(format);
        string path = Path.Combine(_dir.Path, "config.json");
        var target = new FuzzTarget
        {
            Format = format,
            Prepare = (_, rng) =>
            {
                var mutation = FuzzJson.Mutate(seed, rng);
                File.WriteAllText(path, mutation.Text);
                return new FuzzInput(mutation.Description, new FileInfo(path).Length, path)
                    { Key = mutation.ReplacesValue ? mutation.Key : null };
            },
            Warmup = () =>
            {
                File.WriteAllText(path, seed);
                load(path);
            },
            Call = input => load(input.Path),
            CheckSuccess = (_, config) => Revalidate(config),
            CheckMessage = (input, error) => input.Key is string key && !NamesPlace(error.Message, key)
                ? $"the error after replacing {key}'s value names neither it nor a line: {error.Message}"
                : null,
        };
        var tally = FuzzHarness.Run(target, FuzzSettings.Cases(1000), output);
        FuzzHarness.AssertHeld(tally);
    }

    /// <summary>
    /// Whether an error after a replaced value says where: the key (System.Text.Json cuts keys in its duplicate
    /// message to 15 characters), or the line of a parse error. A lone surrogate escape is reported without a place:
    /// the reader only finds it when the string is first read, long after parsing.
    /// </summary>
    private static bool NamesPlace(string message, string key) =>
        message.Contains(key.Length > 15 ? key[..15] : key, StringComparison.Ordinal)
        || message.Contains("LineNumber", StringComparison.Ordinal)
        || message.Contains("not valid Unicode", StringComparison.Ordinal);

    /// <summary>A loaded config must be one its own validation accepts, so a model can be built from it.</summary>
    private static string? Revalidate(object? config)
    {
        try
        {
            switch (config)
            {
                case UNet2DConditionConfig unet: unet.Validate(); break;
                case AutoencoderKLConfig vae: vae.Validate(); break;
                case ClipTextConfig clip: clip.Validate(); break;
                case NoiseScheduleConfig scheduler: scheduler.Validate(); break;
                default: return $"unexpected result {config}";
            }
            return null;
        }
        catch (DiffusionAlignException e)
        {
            return $"the loaded config fails its own validation: {e.Message}";
        }
    }
}
