using DiffusionAlign.Models;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Schedulers;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests;

/// <summary>Very small models so training and sampling tests take fractions of a second.</summary>
public static class TestModels
{
    public static ModelConfig MicroConfig(ShapesWorld world) => new()
    {
        ImageSize = 16,
        Unet = UNet2DConditionConfig.Tiny with
        {
            SampleSize = 16,
            BlockOutChannels = new[] { 8, 16 },
            DownBlockTypes = new[] { "DownBlock2D", "CrossAttnDownBlock2D" },
            UpBlockTypes = new[] { "CrossAttnUpBlock2D", "UpBlock2D" },
            LayersPerBlock = 1,
            NormNumGroups = 4,
            CrossAttentionDim = 16,
        },
        TextEncoder = ClipTextConfig.Tiny with
        {
            VocabSize = world.Tokenizer.VocabularySize,
            MaxPositionEmbeddings = world.Tokenizer.MaxLength,
            HiddenSize = 16,
            IntermediateSize = 32,
            NumHiddenLayers = 1,
            NumAttentionHeads = 2,
        },
        Scheduler = new NoiseScheduleConfig { BetaSchedule = BetaSchedule.SquaredCosCapV2 },
        Tokenizer = ShapesTokenizer.RegistryName,
    };

    public static TextToImageModel Micro(long seed = 0) =>
        TextToImageModel.Create(MicroConfig(new ShapesWorld()), seed);

    /// <summary>A fresh temp folder, deleted by the caller's <c>using</c>.</summary>
    public sealed class TempDir : IDisposable
    {
        public TempDir() => Directory.CreateDirectory(Path);

        public string Path { get; } =
            System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dalign-test-" + Guid.NewGuid().ToString("N"));

        public void Dispose()
        {
            if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
        }
    }
}
