// The learned reward's network: an image tower and a prompt tower joined into one scalar per pair.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DiffusionAlign.Rewards;

/// <summary>
/// images [N, 3, S, S] in [−1, 1] and token ids [N, L] → rewards [N]. The image tower is a stack of 3×3
/// convolutions (SiLU) flattened into <c>image_proj</c>; the prompt tower embeds each token and concatenates the
/// embeddings in order before <c>text_proj</c>, so "red on blue" and "blue on red" differ (a bag of words would
/// confuse shape and background colour). The joint layer sees image, prompt and their product, which lets it
/// score whether the image's colours and shape are the prompt's, not only how clean the image is.
/// </summary>
public sealed class RewardNetwork : nn.Module<Tensor, Tensor, Tensor>
{
    // Field names are checkpoint names: RegisterComponents registers each field under its own name.
    private readonly ModuleList<Conv2d> image_convs;
    private readonly Linear image_proj;
    private readonly Embedding token_embedding;
    private readonly Linear text_proj;
    private readonly Linear joint;
    private readonly Linear head;

    public RewardNetwork(LearnedRewardConfig config) : base(nameof(RewardNetwork))
    {
        config.Validate();
        image_convs = new ModuleList<Conv2d>();
        int inChannels = 3;
        for (int i = 0; i < config.Channels.Length; i++)
        {
            image_convs.Add(nn.Conv2d(inChannels, config.Channels[i], 3, stride: i == 0 ? 1 : 2, padding: 1));
            inChannels = config.Channels[i];
        }
        long flat = (long)inChannels * config.FeatureMapSize * config.FeatureMapSize;
        image_proj = nn.Linear(flat, config.HiddenSize);
        token_embedding = nn.Embedding(config.VocabSize, config.TokenEmbeddingSize);
        text_proj = nn.Linear((long)config.TokenEmbeddingSize * config.MaxPromptTokens, config.HiddenSize);
        joint = nn.Linear(3L * config.HiddenSize, config.HiddenSize);
        head = nn.Linear(config.HiddenSize, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor images, Tensor tokenIds)
    {
        using var scope = NewDisposeScope();
        var x = images;
        foreach (var conv in image_convs) x = nn.functional.silu(conv.forward(x));
        var image = nn.functional.silu(image_proj.forward(x.flatten(1)));
        var text = nn.functional.silu(text_proj.forward(token_embedding.forward(tokenIds).flatten(1)));
        var both = nn.functional.silu(joint.forward(cat([image, text, image.mul(text)], 1)));
        return head.forward(both).squeeze(1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Draws every weight from a generator seeded by <paramref name="seed"/> alone (PyTorch's default bounds:
    /// uniform ±1/√fan_in for convolutions and linear layers, N(0, 1) for the token embedding), so the initial
    /// model does not depend on LibTorch's process-wide generator or on what else drew from it.
    /// </summary>
    public void Initialise(long seed)
    {
        using var generator = Data.StepSeeds.Torch(seed, 0, Data.StepSeeds.Stream.RewardInit);
        using var _ = no_grad();
        var parameters = named_parameters().ToList();
        // A bias takes its bound from its layer's weight: fan_in = weight elements per output.
        var fanIn = parameters.Where(p => p.name.EndsWith(".weight", StringComparison.Ordinal))
            .ToDictionary(p => Owner(p.name), p => p.parameter.numel() / p.parameter.shape[0], StringComparer.Ordinal);
        foreach (var (name, parameter) in parameters)
        {
            if (Owner(name) == nameof(token_embedding)) parameter.normal_(0, 1, generator);
            else
            {
                double bound = 1 / Math.Sqrt(fanIn[Owner(name)]);
                parameter.uniform_(-bound, bound, generator);
            }
        }

        static string Owner(string name) => name[..name.LastIndexOf('.')];
    }
}
