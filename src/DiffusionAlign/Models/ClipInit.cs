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
        Embedding embedding;
        if (device?.type == DeviceType.META)
        {
            // TorchSharp's Embedding (and Embedding_from_pretrained) fills its table on the CPU before moving it,
            // even to META, so CheckpointShapes of a config with a damaged vocab_size would cost gigabytes; a
            // one-row module given a META table costs nothing. Real devices keep the constructor, whose draws
            // seeded initialisations depend on.
            embedding = nn.Embedding(1, dim, device: device);
            embedding.weight = new Parameter(torch.empty(count, dim, device: device));
            return embedding;
        }
        embedding = nn.Embedding(count, dim, device: device);
        using (torch.no_grad()) embedding.weight!.normal_(0.0, std);
        return embedding;
    }
}
