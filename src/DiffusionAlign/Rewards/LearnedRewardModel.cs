// A reward model learned from preference pairs: the network, its tokenizer, and its folder on disk.
using DiffusionAlign.Imaging;
using DiffusionAlign.IO;
using DiffusionAlign.Models;
using DiffusionAlign.Text;
using static TorchSharp.torch;

namespace DiffusionAlign.Rewards;

/// <summary>
/// A learned <see cref="IRewardModel"/>: <see cref="RewardNetwork"/> plus the tokenizer its config names. Its
/// scores are Bradley–Terry logits: after training with <see cref="BradleyTerryRewardLoss"/>,
/// σ(r_a − r_b) is the model's own probability that a is preferred to b. A folder holds
/// <c>model.safetensors</c> and <c>config.json</c>; <see cref="Load"/> checks names and shapes.
/// </summary>
public sealed class LearnedRewardModel : IRewardModel
{
    public const string WeightsFileName = "model.safetensors";
    public const string ConfigFileName = "config.json";

    /// <summary>Pairs scored per forward pass when scoring (memory stays small at any count).</summary>
    private const int ScoreBatch = 256;

    private LearnedRewardModel(LearnedRewardConfig config, RewardNetwork network, string name)
    {
        Config = config;
        Network = network;
        Name = name;
        Tokenizer = TokenizerRegistry.Create(config.Tokenizer);
        if (Tokenizer.VocabularySize > config.VocabSize || Tokenizer.MaxLength != config.MaxPromptTokens)
            throw new DiffusionAlignException(
                $"reward model config: tokenizer '{config.Tokenizer}' has {Tokenizer.VocabularySize} ids and "
                + $"{Tokenizer.MaxLength} positions, but vocab_size is {config.VocabSize} and max_prompt_tokens "
                + $"{config.MaxPromptTokens}");
    }

    public LearnedRewardConfig Config { get; }

    public RewardNetwork Network { get; }

    public ITextTokenizer Tokenizer { get; }

    public string Name { get; }

    /// <inheritdoc />
    public int? ImageSize => Config.ImageSize;

    /// <summary>A freshly initialised model; <paramref name="seed"/> alone fixes its weights.</summary>
    public static LearnedRewardModel Create(LearnedRewardConfig config, long seed, string name = "learned reward")
    {
        ArgumentNullException.ThrowIfNull(config);
        var network = new RewardNetwork(config);
        try
        {
            network.Initialise(seed);
            return new LearnedRewardModel(config, network, name);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Token ids [N, L] (int64) of the prompts.</summary>
    /// <exception cref="DiffusionAlignException">A prompt the tokenizer cannot encode.</exception>
    public Tensor Encode(IReadOnlyList<string> prompts)
    {
        var ids = new long[prompts.Count * Config.MaxPromptTokens];
        for (int i = 0; i < prompts.Count; i++)
        {
            int[] encoded = Tokenizer.Encode(prompts[i]);
            for (int j = 0; j < encoded.Length; j++) ids[i * Config.MaxPromptTokens + j] = encoded[j];
        }
        return tensor(ids, [prompts.Count, Config.MaxPromptTokens], ScalarType.Int64);
    }

    /// <inheritdoc />
    public double[] Score(IReadOnlyList<string> prompts, IReadOnlyList<RgbImage> images)
    {
        RewardInputs.CheckCounts(prompts, images);
        var sized = RewardInputs.AtSize(images, Config.ImageSize);
        var scores = new double[prompts.Count];
        Network.eval();
        for (int start = 0; start < scores.Length; start += ScoreBatch)
        {
            int n = Math.Min(ScoreBatch, scores.Length - start);
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var ids = Encode(prompts.Skip(start).Take(n).ToArray());
            var pixels = ImageTensors.ToTensor(sized.Skip(start).Take(n).ToArray());
            var rewards = Network.forward(pixels, ids).to(ScalarType.Float64).data<double>().ToArray();
            rewards.CopyTo(scores, start);
        }
        return scores;
    }

    /// <summary>Writes <c>model.safetensors</c> and <c>config.json</c> into <paramref name="dir"/> (created).</summary>
    public void Save(string dir)
    {
        Directory.CreateDirectory(dir);
        using var scope = NewDisposeScope();
        var weights = Network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().contiguous());
        SafetensorsFile.Write(Path.Combine(dir, WeightsFileName), weights);
        byte[] config = System.Text.Encoding.UTF8.GetBytes(Config.ToJson());
        AtomicFile.Write(Path.Combine(dir, ConfigFileName), stream => stream.Write(config));
    }

    /// <summary>Reads a reward model folder written by <see cref="Save"/>.</summary>
    /// <exception cref="DiffusionAlignException">The folder or a file is missing, the config is not a reward model's,
    /// or a weight's name or shape does not match the config; each with a one-line message naming the file.
    /// </exception>
    public static LearnedRewardModel Load(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        if (File.Exists(dir))
            throw new DiffusionAlignException(
                $"reward model {dir} is a file; give the folder holding {ConfigFileName}");
        if (!Directory.Exists(dir)) throw new DiffusionAlignException($"reward model folder not found: {dir}");
        string configPath = Path.Combine(dir, ConfigFileName);
        if (!File.Exists(configPath))
            throw new DiffusionAlignException($"{dir} is not a reward model folder: {ConfigFileName} is missing");
        var config = LearnedRewardConfig.FromJson(
            ConfigJson.ReadFile(configPath, "reward model config"), $"reward model config {configPath}");
        string weightsPath = Path.Combine(dir, WeightsFileName);
        if (!File.Exists(weightsPath))
            throw new DiffusionAlignException($"{dir} is not a reward model folder: {WeightsFileName} is missing");

        var model = Create(config, seed: 0, name: Path.GetFileName(Path.TrimEndingDirectorySeparator(
            Path.GetFullPath(dir))));
        try
        {
            // Names and shapes are checked on the header first, so a mismatched file allocates nothing.
            var header = SafetensorsFile.ReadHeader(weightsPath);
            var expected = model.Network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
            CheckpointWeights.CheckShapes(header.Entries.ToDictionary(e => e.Name, e => e.Shape.ToArray()), expected,
                weightsPath, $"the reward model {configPath} describes");
            var weights = SafetensorsFile.Read(weightsPath);
            try
            {
                if (weights.Values.FirstOrDefault(w => w.dtype != ScalarType.Float32) is { } other)
                    throw new DiffusionAlignException($"{weightsPath}: weights must be float32, found {other.dtype}");
                CheckpointWeights.LoadStrict(model.Network, weights, weightsPath);
            }
            finally
            {
                foreach (var w in weights.Values) w.Dispose();
            }
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public void Dispose() => Network.Dispose();
}
