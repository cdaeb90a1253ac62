// A saved mixture names its policies' folders (relative, so the tree can move) and loads back to the same sampler.
using System.Text.Json.Nodes;
using DiffusionAlign.Mixing;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Sampling;

namespace DiffusionAlign.Tests.Mixing;

public sealed class MixtureFolderTests
{
    private static readonly string[] Prompts = ["a red circle on a blue background"];

    [Fact]
    public void ASavedMixtureLoadsAndSamplesAsTheOneInMemoryEvenAfterTheTreeMoves()
    {
        using var dir = new TestModels.TempDir();
        string tree = Path.Combine(dir.Path, "tree");
        string a = Path.Combine(tree, "a"), b = Path.Combine(tree, "b"), mix = Path.Combine(tree, "mix");
        using var modelA = TestModels.Micro(seed: 1);
        using var modelB = TestModels.Micro(seed: 2);
        modelA.Save(a);
        modelB.Save(b);
        var weights = MixtureWeights.Normalised([0.3, 0.7]);
        MixtureFolder.Save(mix, [("A", a), ("B", b)], weights);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(mix, MixtureFolder.ManifestFileName)))!;
        Assert.Equal(Path.Combine("..", "a"), (string?)manifest["policies"]![0]!["folder"]);

        using var inMemory = new PolicyMixture([("A", modelA), ("B", modelB)], weights);
        inMemory.Freeze();
        var expected = Sample(inMemory);
        string moved = Path.Combine(dir.Path, "moved");
        Directory.Move(tree, moved);
        using var loaded = PolicyFolder.Load(Path.Combine(moved, "mix"));
        var mixture = Assert.IsType<PolicyMixture>(loaded);
        Assert.Equal(["A", "B"], mixture.Names);
        Assert.Equal(weights.Values, mixture.Weights.Values);
        loaded.Freeze();
        Assert.Equal(expected, Sample(loaded));
        using var single = PolicyFolder.Load(Path.Combine(moved, "a"));
        Assert.IsType<TextToImageModel>(single);
    }

    [Fact]
    public void BrokenMixtureFoldersAreOneLineErrorsNamingTheProblem()
    {
        using var dir = new TestModels.TempDir();
        string a = Path.Combine(dir.Path, "a"), mix = Path.Combine(dir.Path, "mix");
        using (var model = TestModels.Micro(seed: 1)) model.Save(a);
        MixtureFolder.Save(mix, [("A", a), ("B", Path.Combine(dir.Path, "gone"))], MixtureWeights.Uniform(2));
        string manifest = Path.Combine(mix, MixtureFolder.ManifestFileName);
        AssertOneLine(() => MixtureFolder.Load(mix), "policy 'B': model folder not found");

        File.WriteAllText(manifest, "{ not json");
        AssertOneLine(() => MixtureFolder.Load(mix), "is not a valid mixture manifest");
        File.WriteAllText(manifest, """{"format": "dalign-policy-mixture-v1", "policies": []}""");
        AssertOneLine(() => MixtureFolder.Load(mix), "names no policies");
        File.WriteAllText(manifest, """
            {"format": "dalign-policy-mixture-v1", "policies": [{"name": "A", "folder": "../a", "weight": -1}]}
            """);
        AssertOneLine(() => MixtureFolder.Load(mix), "mixture weights must be finite numbers >= 0");
        File.WriteAllText(manifest, """{"format": "other", "policies": []}""");
        AssertOneLine(() => MixtureFolder.Load(mix), "has format 'other'");
        // A mixture is not a model: commands that train or export one say so.
        AssertOneLine(() => TextToImageModel.Load(mix), "is a policy mixture (mixture.json), not a model folder");
    }

    private static void AssertOneLine(Action action, string fragment)
    {
        var e = Assert.ThrowsAny<DiffusionAlignException>(action);
        Assert.Contains(fragment, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    private static float[] Sample(INoisePredictor model)
    {
        using var noise = TextToImageSampler.InitialNoise(1, model.SampleShape(), 4);
        using var images = TextToImageSampler.Generate(model, Prompts, noise, new SamplingOptions(3, 3.0));
        return images.data<float>().ToArray();
    }
}
