using DiffusionAlign.Models;
using DiffusionAlign.Models.Analysis;
using DiffusionAlign.Models.Lora;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Training;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Training;

public sealed class MemoryEstimateTests
{
    private static readonly LoraConfig Rank4 = new() { Rank = 4 };

    private static readonly AlignConfig Full = new() { BatchSize = 2 };

    private static readonly AlignConfig Lora = Full with { Lora = Rank4 };

    [Fact]
    public void FullFineTuningHoldsAReferenceCopyGradientsAndAdamWStateForTheWholeUNet()
    {
        using var model = TestModels.Micro();
        long all = model.Modules.parameters().Sum(p => p.numel()) * 4;
        long unet = model.Unet.parameters().Sum(p => p.numel()) * 4;

        var estimate = MemoryEstimate.ForAlignment(model, Full, 16);

        Assert.Equal(all, estimate.WeightBytes);
        Assert.Equal(all, estimate.ReferenceCopyBytes);
        Assert.Equal(unet, estimate.GradientBytes);
        Assert.Equal(2 * unet, estimate.OptimizerStateBytes);
        Assert.Equal(0, estimate.AdapterBytes);
        Assert.Equal(estimate.PersistentBytes + estimate.TransientBytes, estimate.TotalBytes);
    }

    [Fact]
    public void LoraNeedsFarLessThanFullFineTuning()
    {
        using var model = TestModels.Micro();
        var full = MemoryEstimate.ForAlignment(model, Full, 16);
        var lora = MemoryEstimate.ForAlignment(model, Lora, 16);

        Assert.Equal(0, lora.ReferenceCopyBytes);
        Assert.Equal(full.WeightBytes, lora.WeightBytes);
        // The adapters are what trains: gradients and both moments are theirs, float32.
        Assert.Equal(lora.AdapterBytes, lora.GradientBytes);
        Assert.Equal(2 * lora.AdapterBytes, lora.OptimizerStateBytes);
        Assert.True(lora.AdapterBytes < full.GradientBytes / 10);
        Assert.True(lora.PersistentBytes < 0.6 * full.PersistentBytes);
        // The estimate does not depend on whether the adapters exist yet.
        model.AddLora(Rank4, seed: 0);
        Assert.Equal(lora, MemoryEstimate.ForAlignment(model, Lora, 16));
        Assert.Equal(model.TrainableParameters().Sum(p => p.numel()) * 4, lora.AdapterBytes);
    }

    [Fact]
    public void CheckpointingLowersTheActivations()
    {
        using var model = TestModels.Micro();
        var kept = MemoryEstimate.ForAlignment(model, Lora, 64);
        var checkpointed = MemoryEstimate.ForAlignment(model, Lora with { GradientCheckpointing = true }, 64);

        Assert.True(checkpointed.ActivationBytes < 0.7 * kept.ActivationBytes);
        Assert.Equal(kept.PersistentBytes, checkpointed.PersistentBytes);
    }

    [Fact]
    public void Bf16HalvesTheFrozenWeightsAndKeepsTheAdaptersFloat32()
    {
        using var model = TestModels.Micro();
        var fp32 = MemoryEstimate.ForAlignment(model, Lora, 16);
        var bf16 = MemoryEstimate.ForAlignment(model, Lora with { Precision = TrainingPrecision.Bf16 }, 16);

        Assert.Equal(fp32.WeightBytes, 2 * bf16.WeightBytes);
        Assert.Equal(fp32.AdapterBytes, bf16.AdapterBytes);
        Assert.Equal(fp32.GradientBytes, bf16.GradientBytes);
        Assert.True(bf16.ActivationBytes < fp32.ActivationBytes);
    }

    [Fact]
    public void ActivationsAreTwoImagesAPairAtTheTrainingSideAndOneForWinnersOnlyObjectives()
    {
        using var model = TestModels.Micro();
        int tokens = model.Tokenizer.MaxLength;
        var sftConfig = AlignConfig.DefaultsFor(AlignMethod.Sft) with { BatchSize = 3 };
        var estimate = MemoryEstimate.ForAlignment(model, Full with { BatchSize = 3 }, 32);
        var sft = MemoryEstimate.ForAlignment(model, sftConfig, 32);

        double perImage = ActivationMemory.UNetSavedBytesPerImage(model.Unet, tokens, sampleSize: 32);
        Assert.Equal((long)(6 * perImage), estimate.ActivationBytes);
        int sftImages = sftConfig.CreateObjective().Input == ObjectiveInput.WinnersOnly ? 3 : 6;
        Assert.Equal((long)(sftImages * perImage), sft.ActivationBytes);
        Assert.Equal(0, sft.ReferenceCopyBytes);
        Assert.Equal(0, sft.ReferenceForwardBytes);
    }

    [Fact]
    public void ALatentModelsActivationsAreAtTheLatentSideAndItsVaeIsCounted()
    {
        var world = new ShapesWorld();
        var pixel = TestModels.MicroConfig(world);
        var vae = new AutoencoderKLConfig
        {
            DownBlockTypes = [AutoencoderKLConfig.DownEncoderBlock, AutoencoderKLConfig.DownEncoderBlock],
            UpBlockTypes = [AutoencoderKLConfig.UpDecoderBlock, AutoencoderKLConfig.UpDecoderBlock],
            BlockOutChannels = [8, 16],
            NormNumGroups = 4,
        };
        var config = pixel with
        {
            ImageSize = 32, Vae = vae, Unet = pixel.Unet with { InChannels = 4, OutChannels = 4 },
        };
        using var model = TextToImageModel.Create(config, seed: 0);

        var estimate = MemoryEstimate.ForAlignment(model, Lora, 32);

        double perImage = ActivationMemory.UNetSavedBytesPerImage(model.Unet, model.Tokenizer.MaxLength,
            sampleSize: 16, lora: Rank4);
        Assert.Equal((long)(4 * perImage), estimate.ActivationBytes);
        long vaeWeights = model.Vae!.parameters().Sum(p => p.numel()) * 4;
        Assert.Equal(model.Modules.parameters().Sum(p => p.numel()) * 4 + vaeWeights, estimate.WeightBytes);
        Assert.Equal(8L * 8 * 32 * 32 * 4 * 4, estimate.VaeEncodeBytes); // 8 maps of 8 channels, 4 images
    }

    [Fact]
    public void CheckIsSilentWhenTheRunFitsAndOtherwiseNamesTheRemediesNotInUse()
    {
        using var model = TestModels.Micro();
        var full = MemoryEstimate.ForAlignment(model, Full, 16);
        Assert.Equal((long)(1.2 * full.TotalBytes), full.RequiredBytes);
        Assert.Null(MemoryEstimate.Check(full, full.RequiredBytes));

        string? message = MemoryEstimate.Check(full, full.RequiredBytes - 1);
        Assert.NotNull(message);
        Assert.DoesNotContain('\n', message);
        foreach (string remedy in new[] { "--lora-rank", "--gradient-checkpointing", "--precision bf16", "--batch",
                     "--resolution" })
            Assert.Contains(remedy, message);

        var lean = MemoryEstimate.ForAlignment(model,
            Lora with { GradientCheckpointing = true, Precision = TrainingPrecision.Bf16 }, 16);
        string? leanMessage = MemoryEstimate.Check(lean, 1024);
        Assert.NotNull(leanMessage);
        Assert.DoesNotContain("--lora-rank", leanMessage);
        Assert.DoesNotContain("--gradient-checkpointing", leanMessage);
        Assert.DoesNotContain("--precision", leanMessage);
        Assert.Contains("--batch (now 2)", leanMessage);
        Assert.Contains("--resolution (now 16)", leanMessage);
    }

    [Fact]
    public void AvailableMemoryIsKnown() => Assert.True(MemoryEstimate.AvailableBytes() > 0);
}
