using DiffusionAlign.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Models;

public sealed class ClipTextModelTests
{
    // Names and shapes of openai/clip-vit-large-patch14's text tower (Stable Diffusion 1.x text_encoder).
    public static TheoryData<string, long[]> StableDiffusion15Tensors => new()
    {
        { "text_model.embeddings.token_embedding.weight", [49408, 768] },
        { "text_model.embeddings.position_embedding.weight", [77, 768] },
        { "text_model.encoder.layers.0.self_attn.q_proj.weight", [768, 768] },
        { "text_model.encoder.layers.0.self_attn.q_proj.bias", [768] },
        { "text_model.encoder.layers.0.self_attn.k_proj.weight", [768, 768] },
        { "text_model.encoder.layers.0.self_attn.v_proj.bias", [768] },
        { "text_model.encoder.layers.0.self_attn.out_proj.weight", [768, 768] },
        { "text_model.encoder.layers.5.layer_norm1.weight", [768] },
        { "text_model.encoder.layers.5.mlp.fc1.weight", [3072, 768] },
        { "text_model.encoder.layers.5.mlp.fc1.bias", [3072] },
        { "text_model.encoder.layers.5.mlp.fc2.weight", [768, 3072] },
        { "text_model.encoder.layers.11.layer_norm2.bias", [768] },
        { "text_model.final_layer_norm.weight", [768] },
        { "text_model.final_layer_norm.bias", [768] },
    };

    private static readonly Lazy<IReadOnlyDictionary<string, long[]>> StableDiffusion15StateShapes =
        new(() => ClipTextModel.CheckpointShapes(ClipTextConfig.StableDiffusion15));

    [Theory]
    [MemberData(nameof(StableDiffusion15Tensors))]
    public void StableDiffusion15HasTheCheckpointTensor(string name, long[] shape)
    {
        var state = StableDiffusion15StateShapes.Value;
        Assert.True(state.ContainsKey(name), $"missing {name}");
        Assert.Equal(shape, state[name]);
    }

    [Fact]
    public void ClipViTLargeTextTowerHasItsPublishedParameterCount()
    {
        var state = StableDiffusion15StateShapes.Value;
        // 2 embedding tables, 16 tensors per layer, final layer norm; no position_ids buffer.
        Assert.Equal(2 + 12 * 16 + 2, state.Count);
        Assert.Equal(123_060_480L, state.Values.Sum(shape => shape.Aggregate(1L, (a, b) => a * b)));
        Assert.DoesNotContain("text_model.embeddings.position_ids", state.Keys);
    }

    [Fact]
    public void TinyMapsTokensToHiddenStates()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(21);
        using var model = new ClipTextModel(ClipTextConfig.Tiny);
        var ids = torch.randint(0, 32, [2, 7], dtype: ScalarType.Int64);

        var hidden = model.forward(ids);

        Assert.Equal(new long[] { 2, 7, 64 }, hidden.shape);
        // The final layer norm leaves each token with mean 0 and variance ≈ 1 (weight 1, bias 0 at init).
        Assert.True(hidden.mean([-1]).abs().max().item<float>() < 1e-5f);
        Assert.True((hidden.var([-1], unbiased: false) - 1).abs().max().item<float>() < 1e-3f);
    }

    [Fact]
    public void EachTokenSeesOnlyItselfAndEarlierTokens()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(22);
        using var model = new ClipTextModel(ClipTextConfig.Tiny);
        using var noGrad = torch.no_grad();
        var ids = torch.tensor(new long[] { 3, 9, 4, 17, 8, 1 }).reshape(1, 6);
        var changed = ids.clone();
        changed[0, 3] = torch.tensor(25L);

        var before = model.forward(ids);
        var after = model.forward(changed);

        var earlier = (before[.., ..3] - after[.., ..3]).abs().max().item<float>();
        var later = (before[.., 3..] - after[.., 3..]).abs().amax([-1]).min().item<float>();
        Assert.Equal(0f, earlier);
        Assert.True(later > 1e-4f, $"tokens from the changed one on should change, smallest change {later}");
    }

    [Fact]
    public void WeightsStartFromTheTransformersInitialisation()
    {
        var config = ClipTextConfig.Tiny with
        {
            VocabSize = 4000, HiddenSize = 128, IntermediateSize = 512, NumHiddenLayers = 8, NumAttentionHeads = 4
        };
        using var model = new ClipTextModel(config);
        var state = model.state_dict();
        double Std(string name) => state[name].std().item<float>();

        Assert.Equal(0.02, Std("text_model.embeddings.token_embedding.weight"), 0.002);
        Assert.Equal(Math.Pow(128, -0.5) * Math.Pow(16, -0.5),
            Std("text_model.encoder.layers.0.self_attn.q_proj.weight"), 0.002);
        Assert.Equal(Math.Pow(128, -0.5), Std("text_model.encoder.layers.0.self_attn.out_proj.weight"), 0.005);
        Assert.Equal(Math.Pow(256, -0.5), Std("text_model.encoder.layers.0.mlp.fc1.weight"), 0.004);
        Assert.All(ModuleWeights.Values(state["text_model.encoder.layers.0.mlp.fc1.bias"]), b => Assert.Equal(0f, b));
    }

    [Fact]
    public void GradientsReachEveryParameter()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(23);
        using var model = new ClipTextModel(ClipTextConfig.Tiny);
        var ids = torch.arange(0, 32, dtype: ScalarType.Int64).reshape(2, 16);
        var target = torch.randn(2, 16, 64);

        (model.forward(ids) - target).pow(2).mean().backward();

        foreach (var (name, parameter) in model.named_parameters())
        {
            var grad = parameter.grad;
            Assert.True(grad is not null, $"{name} has no gradient");
            Assert.True(grad.abs().sum().item<float>() > 0, $"{name} has an all-zero gradient");
        }
    }

    [Fact]
    public void CheckpointsLoadWithOrWithoutThePositionIdsBuffer()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(24);
        using var source = new ClipTextModel(ClipTextConfig.Tiny);
        var weights = source.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var ids = torch.tensor(new long[] { 5, 6, 7 }).reshape(1, 3);
        using var noGrad = torch.no_grad();
        var expected = source.forward(ids);

        using var withoutBuffer = new ClipTextModel(ClipTextConfig.Tiny);
        withoutBuffer.LoadCheckpoint(weights);
        Assert.Equal(0f, (withoutBuffer.forward(ids) - expected).abs().max().item<float>());

        var withBuffer = new Dictionary<string, Tensor>(weights)
        {
            ["text_model.embeddings.position_ids"] = torch.arange(16, dtype: ScalarType.Int64).unsqueeze(0),
        };
        using var fromOlderCheckpoint = new ClipTextModel(ClipTextConfig.Tiny);
        fromOlderCheckpoint.LoadCheckpoint(withBuffer);
        Assert.Equal(0f, (fromOlderCheckpoint.forward(ids) - expected).abs().max().item<float>());
    }

    [Fact]
    public void SequencesLongerThanThePositionTableAreRejected()
    {
        using var model = new ClipTextModel(ClipTextConfig.Tiny);
        using var ids = torch.zeros(1, 17, dtype: ScalarType.Int64);
        Assert.Throws<ArgumentException>(() => model.forward(ids));
    }
}
