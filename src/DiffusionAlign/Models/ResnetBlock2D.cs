using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// diffusers' <c>ResnetBlock2D</c> with the "default" time conditioning: two GroupNorm→act→3x3 conv
/// stages, the projected timestep embedding added between them, and a 1x1 <c>conv_shortcut</c> on the
/// residual path when the channel count changes. Built without time channels (the VAE's resnets) it has
/// no <c>time_emb_proj</c> and is called without an embedding.
/// </summary>
public sealed class ResnetBlock2D : nn.Module<Tensor, Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly GroupNorm norm1;
    private readonly Conv2d conv1;
    private readonly Linear? time_emb_proj;
    private readonly GroupNorm norm2;
    private readonly Dropout dropout;
    private readonly Conv2d conv2;
    private readonly Conv2d? conv_shortcut;
    private readonly Func<Tensor, Tensor> nonlinearity;
    private readonly double outputScaleFactor;

    public ResnetBlock2D(
        int inChannels,
        int outChannels,
        int? tembChannels,
        int groups,
        double eps,
        string actFn,
        double dropoutProbability = 0.0,
        double outputScaleFactor = 1.0,
        Device? device = null)
        : base(nameof(ResnetBlock2D))
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        norm1 = GroupNorms.Create(groups, inChannels, eps, device);
        conv1 = nn.Conv2d(inChannels, outChannels, 3, padding: 1, device: device);
        if (tembChannels is int t) time_emb_proj = nn.Linear(t, outChannels, device: device);
        norm2 = GroupNorms.Create(groups, outChannels, eps, device);
        dropout = nn.Dropout(dropoutProbability);
        conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1, device: device);
        if (inChannels != outChannels) conv_shortcut = nn.Conv2d(inChannels, outChannels, 1, device: device);
        nonlinearity = Activation.Get(actFn);
        this.outputScaleFactor = outputScaleFactor;
        RegisterComponents();
    }

    public int InChannels { get; }

    public int OutChannels { get; }

    /// <summary>Maps <c>[B, in, H, W]</c> and a time embedding <c>[B, temb]</c> to <c>[B, out, H, W]</c>.</summary>
    public override Tensor forward(Tensor input, Tensor temb) => Forward(input, temb);

    /// <summary>Maps <c>[B, in, H, W]</c> to <c>[B, out, H, W]</c>, for a block built without time channels.</summary>
    public Tensor forward(Tensor input) => Forward(input, null);

    private Tensor Forward(Tensor input, Tensor? temb)
    {
        if ((temb is null) != (time_emb_proj is null))
            throw new ArgumentException(time_emb_proj is null
                ? "this block has no time embedding projection"
                : "this block needs a time embedding", nameof(temb));
        // Intermediates die with this scope; autograd keeps its own references to what backward
        // needs. Without it the step's scope holds every intermediate until the step ends.
        using var scope = NewDisposeScope();
        var hidden = conv1.forward(nonlinearity(norm1.forward(input)));
        if (temb is not null)
        {
            var time = time_emb_proj!.forward(nonlinearity(temb));
            hidden = TensorSum.Add(hidden, time.unsqueeze(-1).unsqueeze(-1));
        }
        hidden = conv2.forward(dropout.forward(nonlinearity(norm2.forward(hidden))));
        var shortcut = conv_shortcut is null ? input : conv_shortcut.forward(input);
        var output = TensorSum.Add(shortcut, hidden);
        if (outputScaleFactor == 1.0) return output.MoveToOuterDisposeScope();
        // Rooted, as every Scalar handed to TorchSharp (TensorSum says why).
        using var scale = outputScaleFactor.ToScalar();
        return output.div(scale).MoveToOuterDisposeScope();
    }
}
