// A reward model folder that is missing, incomplete, of another kind or mismatched is refused in one line.
using DiffusionAlign.Rewards;

namespace DiffusionAlign.Tests.Rewards;

public sealed class LearnedRewardFolderTests
{
    private static DiffusionAlignException Refused(string dir)
    {
        var e = Assert.ThrowsAny<DiffusionAlignException>(() => LearnedRewardModel.Load(dir).Dispose());
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void MissingFolderOrFilesAreNamed()
    {
        using var dir = new TestModels.TempDir();
        Assert.Contains("reward model folder not found", Refused(Path.Combine(dir.Path, "nope")).Message);
        Assert.Contains("config.json is missing", Refused(dir.Path).Message);
        using (var model = LearnedRewardModel.Create(new LearnedRewardConfig(), 0)) model.Save(dir.Path);
        File.Delete(Path.Combine(dir.Path, LearnedRewardModel.WeightsFileName));
        Assert.Contains("model.safetensors is missing", Refused(dir.Path).Message);
    }

    [Fact]
    public void AnotherKindOfFolderIsRefused()
    {
        using var dir = new TestModels.TempDir();
        File.WriteAllText(Path.Combine(dir.Path, "config.json"), "{\"_class_name\": \"UNet2DConditionModel\"}");
        Assert.Contains("not a reward model", Refused(dir.Path).Message);
        File.WriteAllText(Path.Combine(dir.Path, "config.json"), "{ not json");
        Assert.Contains("is not valid JSON", Refused(dir.Path).Message);
    }

    [Fact]
    public void WeightsOfAnotherShapeAreRefusedBeforeLoading()
    {
        using var dir = new TestModels.TempDir();
        using (var model = LearnedRewardModel.Create(new LearnedRewardConfig { HiddenSize = 8 }, 0))
            model.Save(dir.Path);
        File.WriteAllText(Path.Combine(dir.Path, "config.json"), new LearnedRewardConfig().ToJson());
        var e = Refused(dir.Path);
        Assert.Contains("has shape", e.Message);
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void TruncatedWeightsAreRefused()
    {
        using var dir = new TestModels.TempDir();
        using (var model = LearnedRewardModel.Create(new LearnedRewardConfig(), 0)) model.Save(dir.Path);
        string weights = Path.Combine(dir.Path, LearnedRewardModel.WeightsFileName);
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);
        Assert.Contains("not a valid safetensors file", Refused(dir.Path).Message);
    }
}
