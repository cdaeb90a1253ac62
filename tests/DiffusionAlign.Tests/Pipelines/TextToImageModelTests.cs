using DiffusionAlign.Pipelines;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Pipelines;

public sealed class TextToImageModelTests
{
    [Fact]
    public void SaveThenLoadPredictsIdentically()
    {
        using var dir = new TestModels.TempDir();
        using var model = TestModels.Micro(seed: 4);
        model.Save(dir.Path, new Dictionary<string, string> { ["command"] = "test" });
        using var loaded = TextToImageModel.Load(dir.Path);
        Assert.Equal("test", loaded.Config.Provenance["command"]);
        using var _ = no_grad();
        var x = randn(2, 3, 16, 16);
        var t = tensor(new long[] { 10, 700 });
        var prompts = new[] { "a red circle on a blue background", "" };
        var a = model.Predict(x, t, model.EncodeText(prompts));
        var b = loaded.Predict(x, t, loaded.EncodeText(prompts));
        Assert.Equal(a.data<float>().ToArray(), b.data<float>().ToArray());
    }

    [Fact]
    public void CopyIsIndependentOfTheOriginal()
    {
        using var model = TestModels.Micro(seed: 4);
        using var copy = model.Copy();
        using (no_grad()) model.Unet.parameters().First().add_(1.0f);
        Assert.NotEqual(model.Unet.parameters().First().data<float>().ToArray(),
            copy.Unet.parameters().First().data<float>().ToArray());
    }

    [Fact]
    public void ConfigJsonRoundTrips()
    {
        using var dir = new TestModels.TempDir();
        using (var model = TestModels.Micro()) model.Save(dir.Path);
        var json = File.ReadAllText(Path.Combine(dir.Path, "config.json"));
        Assert.Contains("\"block_out_channels\"", json);
        Assert.Contains("\"squaredcos_cap_v2\"", json);
        using var loaded = TextToImageModel.Load(dir.Path);
        Assert.Equal(16, loaded.Config.ImageSize);
    }
}
