using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>UNet2DConditionModel</c>, the denoiser of Stable Diffusion 1.x/2.x: given a noisy sample,
/// its timestep and the prompt embeddings, it predicts the noise (or v). Parameter names equal the
/// diffusers checkpoint names (<c>down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight</c>),
/// so real weights load with <see cref="LoadCheckpoint"/>; the same class builds tiny models for CPU training.
/// </summary>
public sealed class UNet2DConditionModel : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly Conv2d conv_in;
    private readonly Timesteps time_proj;
    private readonly TimestepEmbedding time_embedding;
    private readonly ModuleList<UNetDownBlock> down_blocks;
    private readonly ModuleList<UNetUpBlock> up_blocks;
    private readonly UNetMidBlock2DCrossAttn mid_block;
    private readonly GroupNorm conv_norm_out;
    private readonly Conv2d conv_out;
    private readonly Func<Tensor, Tensor> conv_act;

    /// <summary>Builds the UNet described by <paramref name="config"/> with freshly initialised weights.</summary>
    /// <param name="config">The architecture; validated first.</param>
    /// <param name="device">
    /// Where to allocate the weights (null: the default device). <c>new Device(DeviceType.META)</c>
    /// builds the module tree with shapes but no storage, e.g. to list checkpoint names cheaply.
    /// </param>
    /// <exception cref="DiffusionAlignException">The config describes something we do not build.</exception>
    public UNet2DConditionModel(UNet2DConditionConfig config, Device? device = null)
        : base(nameof(UNet2DConditionModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;

        var channels = config.BlockOutChannels;
        var blocks = config.BlockCount;
        conv_in = nn.Conv2d(config.InChannels, channels[0], 3, padding: 1, device: device);
        time_proj = new Timesteps(channels[0], config.FlipSinToCos, config.FreqShift);
        time_embedding = new TimestepEmbedding(channels[0], config.TimeEmbedDim, config.ActFn, device);

        var resnet = new ResnetSettings(
            config.TimeEmbedDim, config.NormNumGroups, config.NormEps, config.ActFn, config.Dropout);
        CrossAttentionSettings AttentionOf(int block) => new(
            config.AttentionHeadDim.For(block),
            config.CrossAttentionDim.For(block),
            config.TransformerLayersPerBlock.For(block),
            config.UseLinearProjection,
            config.OnlyCrossAttention.For(block));

        var downs = new List<UNetDownBlock>();
        for (var i = 0; i < blocks; i++)
        {
            var input = i == 0 ? channels[0] : channels[i - 1];
            var addDownsample = i < blocks - 1;
            var layers = config.LayersPerBlock.For(i);
            downs.Add(config.DownBlockTypes[i] == UNet2DConditionConfig.CrossAttnDownBlock
                ? new CrossAttnDownBlock2D(
                    input, channels[i], layers, addDownsample, config.DownsamplePadding, resnet, AttentionOf(i), device)
                : new DownBlock2D(input, channels[i], layers, addDownsample, config.DownsamplePadding, resnet, device));
        }

        down_blocks = nn.ModuleList(downs.ToArray());
        mid_block = new UNetMidBlock2DCrossAttn(
            channels[blocks - 1],
            resnet with { OutputScaleFactor = config.MidBlockScaleFactor },
            AttentionOf(blocks - 1),
            device: device);

        // Up block i mirrors down block (blocks - 1 - i) and uses that block's per-block settings.
        var ups = new List<UNetUpBlock>();
        var output = channels[blocks - 1];
        for (var i = 0; i < blocks; i++)
        {
            var mirrored = blocks - 1 - i;
            var prevOutput = output;
            output = channels[mirrored];
            var input = channels[Math.Max(mirrored - 1, 0)];
            var addUpsample = i < blocks - 1;
            var layers = config.LayersPerBlock.For(mirrored) + 1;
            ups.Add(config.UpBlockTypes[i] == UNet2DConditionConfig.CrossAttnUpBlock
                ? new CrossAttnUpBlock2D(
                    input, prevOutput, output, layers, addUpsample, resnet, AttentionOf(mirrored), device)
                : new UpBlock2D(input, prevOutput, output, layers, addUpsample, resnet, device));
        }

        up_blocks = nn.ModuleList(ups.ToArray());
        conv_norm_out = GroupNorms.Create(config.NormNumGroups, channels[0], config.NormEps, device);
        conv_act = Activation.Get(config.ActFn);
        conv_out = nn.Conv2d(channels[0], config.OutChannels, 3, padding: 1, device: device);
        RegisterComponents();
    }

    /// <summary>The architecture this model was built from.</summary>
    public UNet2DConditionConfig Config { get; }

    /// <summary>
    /// Predicts from <paramref name="sample"/> <c>[B, in, H, W]</c>, <paramref name="timestep"/> <c>[B]</c>
    /// (or a single value; integer or float) and <paramref name="encoderHiddenStates"/> <c>[B, L, cross]</c>
    /// an output <c>[B, out, H, W]</c>.
    /// </summary>
    public override Tensor forward(Tensor sample, Tensor timestep, Tensor encoderHiddenStates)
    {
        if (sample.dim() != 4 || sample.shape[1] != Config.InChannels)
            throw new ArgumentException(
                $"sample must be [B, {Config.InChannels}, H, W], got [{string.Join(", ", sample.shape)}]",
                nameof(sample));
        if (encoderHiddenStates.dim() != 3)
            throw new ArgumentException(
                $"encoder hidden states must be [B, L, dim], got [{string.Join(", ", encoderHiddenStates.shape)}]",
                nameof(encoderHiddenStates));

        // Skips, block outputs and concatenations die here unless autograd saved them; a frozen
        // reference's forward then leaves nothing behind but its output.
        using var scope = NewDisposeScope();
        if (Config.CenterInputSample) sample = CenterInput(sample);
        if (ChannelsLast) sample = MemoryLayout.ToChannelsLast(sample);

        // One timestep may serve the whole batch, as in diffusers.
        var timesteps = timestep.dim() == 0 ? timestep.unsqueeze(0) : timestep;
        timesteps = timesteps.expand(sample.shape[0]);
        var emb = time_embedding.forward(time_proj.forward(timesteps).to_type(sample.dtype));

        // Recomputing only pays off when a backward will follow.
        var checkpoint = GradientCheckpointing && training && is_grad_enabled();
        var hidden = conv_in.forward(sample);
        var skips = new List<Tensor> { hidden };
        foreach (var block in down_blocks)
        {
            var (output, blockSkips) = checkpoint
                ? CheckpointedDown(block, hidden, emb, encoderHiddenStates)
                : block.forward(hidden, emb, encoderHiddenStates);
            hidden = output;
            skips.AddRange(blockSkips);
        }

        hidden = checkpoint
            ? GradientCheckpoint.Run(
                x => [mid_block.forward(x[0], x[1], x[2])],
                [hidden, emb, encoderHiddenStates],
                mid_block.parameters())[0]
            : mid_block.forward(hidden, emb, encoderHiddenStates);

        for (var i = 0; i < up_blocks.Count; i++)
        {
            var block = up_blocks[i];
            var blockSkips = skips.GetRange(skips.Count - block.SkipCount, block.SkipCount);
            skips.RemoveRange(skips.Count - block.SkipCount, block.SkipCount);
            // Upsample to the next skip's size (not blindly 2x) so odd sizes line up, as diffusers does.
            long[]? upsampleSize = i < up_blocks.Count - 1 ? [skips[^1].shape[2], skips[^1].shape[3]] : null;
            hidden = checkpoint
                ? CheckpointedUp(block, hidden, blockSkips, emb, encoderHiddenStates, upsampleSize)
                : block.forward(hidden, blockSkips, emb, encoderHiddenStates, upsampleSize);
        }

        return conv_out.forward(conv_act(conv_norm_out.forward(hidden))).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Whether training forwards keep only each block's inputs and recompute the block during backward
    /// (diffusers' <c>enable_gradient_checkpointing</c>): far less activation memory for about one more forward.
    /// Only applies in training mode with grad enabled; outputs and gradients are the same either way, dropout
    /// included (the CPU random generator is replayed). Needs the CPU: TorchSharp exposes no other generator.
    /// Parameter gradients are accumulated into <c>.grad</c> during <c>backward()</c>, so take gradients with
    /// <c>backward</c>, not <c>torch.autograd.grad</c>.
    /// </summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>Turns <see cref="GradientCheckpointing"/> on or off, under diffusers' name.</summary>
    public void EnableGradientCheckpointing(bool on = true) => GradientCheckpointing = on;

    // Every tensor the block reads goes through the argument list: through a captured one the recomputed
    // graph would reach back into the outer graph, and its backward would run that part twice.
    private static (Tensor Hidden, IReadOnlyList<Tensor> Skips) CheckpointedDown(
        UNetDownBlock block, Tensor hidden, Tensor temb, Tensor context)
    {
        var outputs = GradientCheckpoint.Run(
            x =>
            {
                var (output, skips) = block.forward(x[0], x[1], x[2]);
                return [output, .. skips];
            },
            [hidden, temb, context],
            block.parameters());
        return (outputs[0], outputs.Skip(1).ToList());
    }

    private static Tensor CheckpointedUp(UNetUpBlock block, Tensor hidden, IReadOnlyList<Tensor> skips, Tensor temb,
        Tensor context, long[]? upsampleSize) =>
        GradientCheckpoint.Run(
            x => [block.forward(x[0], x.Skip(3).ToList(), x[1], x[2], upsampleSize)],
            [hidden, temb, context, .. skips],
            block.parameters())[0];

    /// <summary>
    /// Whether convolution weights and the input are kept in NHWC order (see <see cref="UseChannelsLast"/>).
    /// </summary>
    public bool ChannelsLast { get; private set; }

    /// <summary>
    /// Restrides every convolution weight (the same <c>Parameter</c> objects on new storage: call
    /// it before building a <see cref="Training.FlatAdamW"/>, which keeps parameters in its own
    /// buffer) and feeds the input NHWC, so oneDNN (or cuDNN) runs its channels-last kernels.
    /// Numerically the same model. Off by default: whether it is faster depends on the device (GPUs
    /// with tensor cores usually gain, as in PyTorch's <c>channels_last</c>; the 2-core CPU here did not).
    /// </summary>
    public void UseChannelsLast(bool on)
    {
        using var _ = no_grad();
        foreach (var module in modules())
        {
            if (module is not TorchSharp.Modules.Conv2d conv || conv.weight is not { } weight) continue;
            if (MemoryLayout.IsChannelsLast(weight) == on || weight.shape[2] * weight.shape[3] == 1) continue;
            // set_ shares the new storage; disposing our handle leaves the parameter's reference.
            using var restrided = on
                ? weight.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)
                : weight.contiguous();
            weight.set_(restrided);
        }
        ChannelsLast = on;
    }

    // diffusers' center_input_sample, 2x − 1, with rooted double Scalars (TensorSum says why).
    private static Tensor CenterInput(Tensor sample)
    {
        using Scalar two = 2.0.ToScalar(), one = 1.0.ToScalar();
        return sample.mul(two).sub(one);
    }

    /// <summary>Switches every attention layer to <paramref name="kernel"/>.</summary>
    public void UseAttentionKernel(AttentionKernel kernel)
    {
        foreach (var module in modules())
            if (module is Attention attention) attention.Kernel = kernel;
    }

    /// <summary>Number of scalar parameters.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>
    /// The checkpoint names and shapes of the UNet <paramref name="config"/> describes, found without
    /// allocating any weights (the model is built on the meta device), e.g. to check a checkpoint's
    /// header before reading gigabytes of tensors.
    /// </summary>
    public static IReadOnlyDictionary<string, long[]> CheckpointShapes(UNet2DConditionConfig config)
    {
        using var model = new UNet2DConditionModel(config, new Device(DeviceType.META));
        return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
    }

    /// <summary>
    /// Copies a diffusers checkpoint (a flat name → tensor map, e.g. read from
    /// <c>unet/diffusion_pytorch_model.safetensors</c>) into this model. Names and shapes must match exactly;
    /// values are converted to the parameters' dtype and device.
    /// </summary>
    /// <exception cref="DiffusionAlignException">Listing missing, unexpected or mis-shaped tensors.</exception>
    public void LoadCheckpoint(IReadOnlyDictionary<string, Tensor> weights) =>
        CheckpointWeights.LoadStrict(this, weights, "UNet checkpoint");
}
