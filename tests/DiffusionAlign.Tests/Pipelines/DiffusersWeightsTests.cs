using DiffusionAlign.IO;
using DiffusionAlign.Pipelines;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Pipelines;

public sealed class DiffusersWeightsTests
{
    private static Dictionary<string, Tensor> Weights() => new()
    {
        ["conv.weight"] = arange(0, 6, dtype: ScalarType.Float32).reshape(2, 3) / 7,
        ["conv.bias"] = tensor(new[] { 0.5f, -1.25f }),
    };

    [Fact]
    public void HalfPrecisionVariantsAreWidenedToFloat32()
    {
        using var dir = new TestModels.TempDir();
        var weights = Weights();
        SafetensorsFile.Write(Path.Combine(dir.Path, "diffusion_pytorch_model.fp16.safetensors"),
            weights.ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.Float16)));
        var read = DiffusersWeights.Read(dir.Path, "diffusion_pytorch_model");
        Assert.All(read.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));
        Assert.True(read["conv.weight"].allclose(weights["conv.weight"], rtol: 1e-3, atol: 1e-3));
        Assert.Equal([0.5f, -1.25f], read["conv.bias"].data<float>().ToArray());
    }

    [Fact]
    public void ShardsListedByTheIndexAreReadTogether()
    {
        using var dir = new TestModels.TempDir();
        var weights = Weights();
        SafetensorsFile.Write(Path.Combine(dir.Path, "model-00001-of-00002.safetensors"),
            new Dictionary<string, Tensor> { ["conv.weight"] = weights["conv.weight"] });
        SafetensorsFile.Write(Path.Combine(dir.Path, "model-00002-of-00002.safetensors"),
            new Dictionary<string, Tensor> { ["conv.bias"] = weights["conv.bias"] });
        File.WriteAllText(Path.Combine(dir.Path, "model.safetensors.index.json"), """
            {"metadata": {"total_size": 32}, "weight_map": {
              "conv.weight": "model-00001-of-00002.safetensors", "conv.bias": "model-00002-of-00002.safetensors"}}
            """);
        var read = DiffusersWeights.Read(dir.Path, "model");
        Assert.Equal(["conv.bias", "conv.weight"], read.Keys.Order(StringComparer.Ordinal));
        Assert.True(read["conv.weight"].equal(weights["conv.weight"]).all().item<bool>());

        File.WriteAllText(Path.Combine(dir.Path, "model.safetensors.index.json"), """
            {"weight_map": {"conv.weight": "model-00002-of-00002.safetensors"}}
            """);
        var error = Assert.Throws<DiffusionAlignException>(() => DiffusersWeights.Read(dir.Path, "model"));
        Assert.Contains("conv.weight", error.Message);
    }

    [Fact]
    public void APickleCheckpointIsRefusedWithHowToConvertIt()
    {
        using var dir = new TestModels.TempDir();
        File.WriteAllBytes(Path.Combine(dir.Path, "diffusion_pytorch_model.bin"), [0x80, 0x02]);
        var error = Assert.Throws<DiffusionAlignException>(
            () => DiffusersWeights.Read(dir.Path, "diffusion_pytorch_model"));
        Assert.Contains("pickle", error.Message);
        Assert.Contains("safe_serialization=True", error.Message);
    }
}
