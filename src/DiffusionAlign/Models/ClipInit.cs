using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// Layers initialised as transformers' <c>CLIPPreTrainedModel._init_weights</c> does (normal weights,
/// zero biases), so a CLIP text encoder trained from scratch starts where the reference one would.
/// </summary>
internal static class ClipInit
{
    public static Linear Linear(int inFeatures, int outFeatures, double std, Device? device)
    {
        var linear = nn.Linear(inFeatures, outFeatures, device: device);
        using (torch.no_grad())
        {
            linear.weight.normal_(0.0, std);
            linear.bias!.zero_();
        }

        return linear;
    }

    public static Embedding Embedding(int count, int dim, double std, Device? device)
    {
        var embedding = nn.Embedding(count, dim, device: device);
        using (torch.no_grad()) embedding.weight!.normal_(0.0, std);
        return embedding;
    }
}
