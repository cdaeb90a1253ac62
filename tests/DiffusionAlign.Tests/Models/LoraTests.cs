using System.Text.Json;
using DiffusionAlign.Models;
using DiffusionAlign.Models.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Models;

public sealed class LoraTests
{
    // down_blocks.0 has attention, so diffusers' example key "down_blocks.0.attentions.0…" exists here.
    private static readonly UNet2DConditionConfig SmallUnet = UNet2DConditionConfig.Tiny with
    {
        SampleSize = 8,
        BlockOutChannels = [8, 16],
        DownBlockTypes = [UNet2DConditionConfig.CrossAttnDownBlock, UNet2DConditionConfig.PlainDownBlock],
        UpBlockTypes = [UNet2DConditionConfig.PlainUpBlock, UNet2DConditionConfig.CrossAttnUpBlock],
        LayersPerBlock = 1,
        NormNumGroups = 4,
        CrossAttentionDim = 16,
        AttentionHeadDim = 2,
    };

    private static readonly LoraConfig Rank2 = new() { Rank = 2 };

    // Rooted for the process: a temporary Scalar can be freed while LibTorch reads it.
    private static readonly Scalar One = 1;
    private static readonly Scalar PerturbationStd = 0.1;

    [Fact]
    public void AddingAdaptersKeepsTheOutputAndTheBaseNames()
    {
        using var scope = NewDisposeScope();
        using var unet = NewUnet();
        var baseNames = unet.named_parameters().Select(p => p.name).ToList();
        var before = Forward(unet);

        int adapted = LoraAdapters.Add(unet, Rank2, seed: 1);

        int attentions = unet.modules().OfType<Attention>().Count();
        Assert.Equal(8, attentions); // down 0: 1 block, mid: 1, up 1: 2; two attentions each
        Assert.Equal(attentions * 4, adapted);
        Assert.True(Identical(before, Forward(unet)), "B = 0 at init, so the output must not change");
        var names = unet.named_parameters().Select(p => p.name).ToList();
        Assert.Equal(baseNames, names.Where(n => !LoraAdapters.IsAdapterParameter(n)));
        Assert.Equal(adapted * 2, names.Count(LoraAdapters.IsAdapterParameter));
        Assert.DoesNotContain(baseNames, LoraAdapters.IsAdapterParameter);
        Assert.Contains("down_blocks.0.attentions.0.transformer_blocks.0.attn1.lora.to_out_0.up.weight", names);
    }

    [Fact]
    public void DisabledAdaptersGiveExactlyTheBaseOutput()
    {
        using var scope = NewDisposeScope();
        using var unet = NewUnet();
        var baseline = Forward(unet);
        LoraAdapters.Add(unet, Rank2, seed: 1);
        PerturbUp(unet, seed: 2);

        var adapted = Forward(unet);
        Tensor disabled;
        using (LoraAdapters.Disabled(unet)) disabled = Forward(unet);
        var reenabled = Forward(unet);

        Assert.False(adapted.allclose(baseline, rtol: 0, atol: 1e-4), "trained adapters must change the output");
        Assert.True(Identical(baseline, disabled));
        Assert.True(Identical(adapted, reenabled), "disposing restores the adapters");
        LoraAdapters.SetEnabled(unet, false);
        Assert.True(Identical(baseline, Forward(unet)));
    }

    [Fact]
    public void OnlyAdapterParametersAreListedAndTheyReceiveGradients()
    {
        using var scope = NewDisposeScope();
        using var unet = NewUnet();
        int adapted = LoraAdapters.Add(unet, Rank2, seed: 1);
        PerturbUp(unet, seed: 2);
        var adapterParameters = LoraAdapters.Parameters(unet);
        foreach (var (name, p) in unet.named_parameters())
            if (!LoraAdapters.IsAdapterParameter(name)) p.requires_grad = false;

        var (sample, timesteps, context) = Inputs();
        unet.forward(sample, timesteps, context).square().mean().backward();

        Assert.Equal(adapted * 2, adapterParameters.Count);
        var named = unet.named_parameters().ToList();
        var flagged = named.Where(p => LoraAdapters.IsAdapterParameter(p.name)).Select(p => p.parameter).ToList();
        Assert.Equal<Parameter>(flagged, adapterParameters, ReferenceEqualityComparer.Instance);
        foreach (var p in adapterParameters)
        {
            Assert.NotNull(p.grad);
            Assert.True(p.grad!.abs().sum().item<float>() > 0, "every adapter weight gets a gradient");
        }
        Assert.All(named.Where(p => !LoraAdapters.IsAdapterParameter(p.name)), p => Assert.Null(p.parameter.grad));
    }

    [Fact]
    public void MergingBakesTheAdaptersIntoTheBaseWeights()
    {
        using var scope = NewDisposeScope();
        using var unet = NewUnet();
        var baseNames = unet.named_parameters().Select(p => p.name).ToList();
        LoraAdapters.Add(unet, new LoraConfig { Rank = 2, Alpha = 6 }, seed: 1);
        PerturbUp(unet, seed: 2);
        var adapted = Forward(unet);

        LoraAdapters.Merge(unet);

        Assert.True(Forward(unet).allclose(adapted, rtol: 0, atol: 1e-5));
        Assert.Equal(baseNames, unet.named_parameters().Select(p => p.name));
        Assert.Empty(LoraAdapters.Parameters(unet));
    }

    [Fact]
    public void MergeAddsAlphaOverRankTimesBA()
    {
        using var scope = NewDisposeScope();
        using var attention = new Attention(queryDim: 8, crossAttentionDim: null, heads: 2, headDim: 4);
        var baseWeight = attention.get_parameter("to_v.weight")!.detach().clone();
        LoraAdapters.Add(attention, new LoraConfig { Rank = 2, Alpha = 6, TargetModules = ["to_v"] }, seed: 1);
        PerturbUp(attention, seed: 2);
        var a = attention.get_parameter("lora.to_v.down.weight")!.detach().clone();
        var b = attention.get_parameter("lora.to_v.up.weight")!.detach().clone();

        LoraAdapters.Merge(attention);

        // α/r = 3.
        using var three = 3.0.ToScalar();
        var expected = baseWeight.add(b.matmul(a), three);
        Assert.True(attention.get_parameter("to_v.weight")!.allclose(expected, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void AlphaScalesTheUpdateInTheForwardPass()
    {
        using var scope = NewDisposeScope();
        using var scaled = NewUnet();
        using var unscaled = NewUnet(copyOf: scaled);
        LoraAdapters.Add(scaled, new LoraConfig { Rank = 2, Alpha = 6 }, seed: 1);
        LoraAdapters.Add(unscaled, Rank2, seed: 1);
        PerturbUp(scaled, seed: 2);
        PerturbUp(unscaled, seed: 2);
        // 3·B·A with α = 6, r = 2 is the same update as (3B)·A with α = r.
        using var three = 3.0.ToScalar();
        using (torch.no_grad())
            foreach (var p in UpWeights(unscaled)) p.mul_(three);

        using var plain = NewUnet(copyOf: scaled);
        Assert.True(Forward(scaled).allclose(Forward(unscaled), rtol: 0, atol: 1e-5));
        Assert.False(Forward(scaled).allclose(Forward(plain), rtol: 0, atol: 1e-4));
    }

    [Fact]
    public void DiffusersExportFoldsTheScaleAndLoadsIntoAFreshModel()
    {
        using var scope = NewDisposeScope();
        using var trained = NewUnet();
        using var fresh = NewUnet(copyOf: trained);
        LoraAdapters.Add(trained, new LoraConfig { Rank = 2, Alpha = 6 }, seed: 1);
        PerturbUp(trained, seed: 2);

        var weights = LoraAdapters.ToDiffusers(trained, "unet");
        LoraAdapters.FromDiffusers(fresh, weights, "unet");

        Assert.True(Forward(fresh).allclose(Forward(trained), rtol: 0, atol: 1e-5));
        const string up = "unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0.lora.up.weight";
        var trainedUp =
            trained.get_parameter("down_blocks.0.attentions.0.transformer_blocks.0.attn1.lora.to_out_0.up.weight")!;
        using var three = 3.0.ToScalar();
        Assert.True(weights[up].allclose(trainedUp.mul(three), rtol: 0, atol: 1e-7), "B carries α/r = 3");
        using var plain = NewUnet(copyOf: trained);
        using (LoraAdapters.Disabled(fresh)) Assert.True(Identical(Forward(fresh), Forward(plain)));
    }

    [Fact]
    public void ExportedKeysFollowTheDiffusersLayout()
    {
        using var scope = NewDisposeScope();
        using var unet = NewUnet();
        int adapted = LoraAdapters.Add(unet, new LoraConfig { Rank = 3 }, seed: 1);

        var weights = LoraAdapters.ToDiffusers(unet, "unet");

        Assert.Equal(adapted * 2, weights.Count);
        const string block = "unet.down_blocks.0.attentions.0.transformer_blocks.0";
        Assert.Equal(new long[] { 3, 8 }, weights[$"{block}.attn1.to_q.lora.down.weight"].shape);
        Assert.Equal(new long[] { 8, 3 }, weights[$"{block}.attn1.to_out.0.lora.up.weight"].shape);
        // attn2's keys read the 16-wide prompt.
        Assert.Equal(new long[] { 3, 16 }, weights[$"{block}.attn2.to_k.lora.down.weight"].shape);
        Assert.Contains("unet.mid_block.attentions.0.transformer_blocks.0.attn2.to_v.lora.up.weight", weights.Keys);
        Assert.All(weights.Keys,
            k => Assert.Matches(@"^unet\..*\.(to_q|to_k|to_v|to_out\.0)\.lora\.(down|up)\.weight$", k));
    }

    [Fact]
    public void PeftKeysLoadLikeDiffusersKeys()
    {
        using var scope = NewDisposeScope();
        using var trained = NewUnet();
        using var fresh = NewUnet(copyOf: trained);
        LoraAdapters.Add(trained, Rank2, seed: 1);
        PerturbUp(trained, seed: 2);
        // get_peft_model_state_dict's layout: no component prefix, lora_A/lora_B.
        var peft = LoraAdapters.ToDiffusers(trained, "unet").ToDictionary(
            kv => kv.Key["unet.".Length..].Replace(".lora.down.weight", ".lora_A.weight")
                .Replace(".lora.up.weight", ".lora_B.weight"),
            kv => kv.Value);

        LoraAdapters.FromDiffusers(fresh, peft, prefix: "");

        Assert.True(Forward(fresh).allclose(Forward(trained), rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void LoadingIntoExistingAdaptersKeepsTheirScale()
    {
        using var scope = NewDisposeScope();
        using var trained = NewUnet();
        using var restored = NewUnet(copyOf: trained);
        var config = new LoraConfig { Rank = 2, Alpha = 6 };
        LoraAdapters.Add(trained, config, seed: 1);
        LoraAdapters.Add(restored, config, seed: 5);
        PerturbUp(trained, seed: 2);

        LoraAdapters.FromDiffusers(restored, LoraAdapters.ToDiffusers(trained, "unet"), "unet");

        Assert.True(Forward(restored).allclose(Forward(trained), rtol: 0, atol: 1e-5));
        Assert.Equal(UpWeights(trained).Select(Values), UpWeights(restored).Select(Values), new ArrayTolerance(1e-6f));
    }

    [Fact]
    public void LoadingIsStrictAboutKeys()
    {
        using var scope = NewDisposeScope();
        using var trained = NewUnet();
        LoraAdapters.Add(trained, Rank2, seed: 1);
        var weights = LoraAdapters.ToDiffusers(trained, "unet");
        const string dropped = "unet.mid_block.attentions.0.transformer_blocks.0.attn1.to_k.lora.up.weight";
        var incomplete = weights.Where(kv => kv.Key != dropped).ToDictionary();
        var extra = new Dictionary<string, Tensor>(weights) { ["unet.conv_in.lora.down.weight"] = torch.zeros(2, 3) };
        var otherComponent =
            new Dictionary<string, Tensor>(weights) { ["text_encoder.x.lora.up.weight"] = torch.zeros(1) };

        using var withAdapters = NewUnet(copyOf: trained);
        LoraAdapters.Add(withAdapters, Rank2, seed: 1);
        var missing = Assert.Throws<DiffusionAlignException>(
            () => LoraAdapters.FromDiffusers(withAdapters, incomplete, "unet"));
        Assert.Contains($"missing {dropped}", missing.Message);
        Assert.DoesNotContain('\n', missing.Message);

        using var plain = NewUnet(copyOf: trained);
        var unexpected = Assert.Throws<DiffusionAlignException>(() => LoraAdapters.FromDiffusers(plain, extra, "unet"));
        Assert.Contains("unexpected unet.conv_in.lora.down.weight", unexpected.Message);
        Assert.Empty(LoraAdapters.Parameters(plain)); // a rejected file changes nothing

        LoraAdapters.FromDiffusers(plain, otherComponent, "unet"); // another component's keys are not ours
        Assert.Equal(weights.Count, LoraAdapters.Parameters(plain).Count);
    }

    [Fact]
    public void TheTextEncoderOptionAdaptsClipAttention()
    {
        using var scope = NewDisposeScope();
        using var clip = new ClipTextModel(ClipTextConfig.Tiny);
        clip.eval();
        var ids = torch.tensor(new long[] { 1, 5, 9, 3, 2, 7 }).reshape(1, 6);
        var baseline = clip.forward(ids);

        Assert.Throws<DiffusionAlignException>(() => LoraAdapters.Add(clip, Rank2, seed: 1));
        int adapted = LoraAdapters.Add(clip, Rank2 with { TextEncoder = true }, seed: 1);
        PerturbUp(clip, seed: 2);

        Assert.Equal(ClipTextConfig.Tiny.NumHiddenLayers * 4, adapted);
        Assert.False(clip.forward(ids).allclose(baseline, rtol: 0, atol: 1e-4));
        using (LoraAdapters.Disabled(clip)) Assert.True(Identical(baseline, clip.forward(ids)));
        var weights = LoraAdapters.ToDiffusers(clip, "text_encoder");
        Assert.Contains("text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_linear_layer.down.weight",
            weights.Keys);
        Assert.Contains("text_encoder.text_model.encoder.layers.1.self_attn.out_proj.lora_linear_layer.up.weight",
            weights.Keys);
    }

    [Fact]
    public void BadSettingsAndRepeatedAddsThrow()
    {
        using var scope = NewDisposeScope();
        using var unet = NewUnet();

        var badTarget = Assert.Throws<InvalidSettingException>(() =>
            LoraAdapters.Add(unet, Rank2 with { TargetModules = ["to_q", "to_x"] }, seed: 1));
        Assert.Equal(nameof(LoraConfig.TargetModules), badTarget.Setting);
        Assert.Contains("to_x", badTarget.Message);
        Assert.Equal("Rank",
            Assert.Throws<InvalidSettingException>(() => new LoraConfig { Rank = 0 }.Validate()).Setting);
        Assert.Equal("Alpha",
            Assert.Throws<InvalidSettingException>(() => (Rank2 with { Alpha = 0 }).Validate()).Setting);
        Assert.Equal("Dropout",
            Assert.Throws<InvalidSettingException>(() => (Rank2 with { Dropout = 1 }).Validate()).Setting);
        Assert.Empty(LoraAdapters.Parameters(unet));

        LoraAdapters.Add(unet, Rank2, seed: 1);
        Assert.Throws<DiffusionAlignException>(() => LoraAdapters.Add(unet, Rank2, seed: 1));
    }

    [Fact]
    public void SeededInitIsDeterministicWhateverTheGlobalGenerator()
    {
        using var scope = NewDisposeScope();
        using var first = NewUnet();
        using var second = NewUnet(copyOf: first);
        using var third = NewUnet(copyOf: first);

        torch.manual_seed(1);
        LoraAdapters.Add(first, Rank2, seed: 7);
        torch.manual_seed(2);
        LoraAdapters.Add(second, Rank2, seed: 7);
        LoraAdapters.Add(third, Rank2, seed: 8);

        var parameters = LoraAdapters.Parameters(first);
        var values = parameters.Select(Values).ToList();
        Assert.Equal(values, LoraAdapters.Parameters(second).Select(Values));
        Assert.NotEqual(values[0], Values(LoraAdapters.Parameters(third)[0]));
        for (int i = 0; i < parameters.Count; i += 2)
        {
            // A is kaiming-uniform with a = √5, i.e. U(±1/√in); B is zero.
            double bound = 1 / Math.Sqrt(parameters[i].shape[1]);
            Assert.All(values[i], v => Assert.InRange(Math.Abs((double)v), 0.0, bound));
            Assert.True(values[i].Max(v => Math.Abs(v)) > bound / 2, "A spans its range");
            Assert.All(values[i + 1], v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void AdaptersComputeInFloat32OnABfloat16Base()
    {
        using var scope = NewDisposeScope();
        using var attention = new Attention(queryDim: 8, crossAttentionDim: null, heads: 2, headDim: 4);
        attention.to(ScalarType.BFloat16);
        LoraAdapters.Add(attention, Rank2, seed: 1);
        using var g = new Generator(3);
        var x = torch.randn([2, 5, 8], generator: g).to_type(ScalarType.BFloat16);

        var output = attention.forward(x, null);
        output.to_type(ScalarType.Float32).square().mean().backward();

        Assert.Equal(ScalarType.BFloat16, output.dtype);
        Assert.All(LoraAdapters.Parameters(attention), p =>
        {
            Assert.Equal(ScalarType.Float32, p.dtype);
            Assert.Equal(ScalarType.Float32, p.grad!.dtype);
        });
        var up = attention.get_parameter("lora.to_q.up.weight")!;
        Assert.True(up.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void TheConfigRoundTripsAsSnakeCaseJson()
    {
        var config = new LoraConfig { Rank = 4, Alpha = 8, Dropout = 0.1, TargetModules = ["to_k", "to_out.0"] };

        string json = JsonSerializer.Serialize(config);
        var read = JsonSerializer.Deserialize<LoraConfig>(json)!;

        Assert.Contains("\"rank\":4", json);
        Assert.Contains("\"target_modules\":[\"to_k\",\"to_out.0\"]", json);
        Assert.Contains("\"text_encoder\":false", json);
        Assert.Equal(config, read);
        Assert.Equal(2.0, read.Scale);
        Assert.Equal(1.0, JsonSerializer.Deserialize<LoraConfig>("{\"rank\":16}")!.Scale);
        Assert.Equal(LoraConfig.UnetProjections,
            JsonSerializer.Deserialize<LoraConfig>("{\"rank\":16}")!.TargetModules);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<LoraConfig>("{\"alpha\":4}"));
        Assert.Equal(new LoraConfig { Rank = 4, Alpha = null, Dropout = 0.1, TargetModules = ["to_k", "to_out.0"] },
            LoraAdapters.SavedConfig(config));
    }

    private static UNet2DConditionModel NewUnet(UNet2DConditionModel? copyOf = null)
    {
        var unet = new UNet2DConditionModel(SmallUnet);
        unet.eval();
        if (copyOf is null) return unet;
        var source = copyOf.state_dict();
        using var noGrad = torch.no_grad();
        foreach (var (name, tensor) in unet.state_dict()) tensor.copy_(source[name]);
        return unet;
    }

    private static (Tensor Sample, Tensor Timesteps, Tensor Context) Inputs()
    {
        using var g = new Generator(11);
        return (torch.randn([2, 3, 8, 8], generator: g), torch.tensor(new long[] { 10, 500 }),
            torch.randn([2, 5, 16], generator: g));
    }

    private static Tensor Forward(UNet2DConditionModel unet)
    {
        var (sample, timesteps, context) = Inputs();
        using var noGrad = torch.no_grad();
        return unet.forward(sample, timesteps, context);
    }

    private static IEnumerable<Parameter> UpWeights(nn.Module root) =>
        root.named_parameters()
            .Where(p => LoraAdapters.IsAdapterParameter(p.name) && p.name.EndsWith(".up.weight"))
            .Select(p => p.parameter);

    // Stands in for training: B moves off zero, so the adapters change the output.
    private static void PerturbUp(nn.Module root, long seed)
    {
        using var g = new Generator((ulong)seed);
        using var noGrad = torch.no_grad();
        foreach (var up in UpWeights(root))
        {
            using var noise = torch.randn(up.shape, generator: g);
            up.copy_(noise.mul(PerturbationStd));
        }
    }

    private static bool Identical(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var same = a.eq(b).all();
        return same.item<bool>();
    }

    private static float[] Values(Tensor t) => ModuleWeights.Values(t);

    private sealed class ArrayTolerance(float tolerance) : IEqualityComparer<float[]>
    {
        public bool Equals(float[]? x, float[]? y) =>
            x is not null && y is not null && x.Length == y.Length
            && x.Zip(y).All(p => Math.Abs(p.First - p.Second) <= tolerance);

        public int GetHashCode(float[] obj) => obj.Length;
    }
}
