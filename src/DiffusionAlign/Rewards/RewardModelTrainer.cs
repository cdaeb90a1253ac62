// The loop that fits a learned reward model to preference pairs, with a held-out split for early stopping.
using DiffusionAlign.Data;
using DiffusionAlign.Imaging;
using DiffusionAlign.Training;
using static TorchSharp.torch;

namespace DiffusionAlign.Rewards;

/// <summary>
/// Trains a <see cref="LearnedRewardModel"/> on preference pairs with <see cref="BradleyTerryRewardLoss"/> and
/// AdamW. A seeded share of the prompts is held out (<see cref="PreferenceDataset.Split"/>); the held-out loss is
/// measured every <see cref="RewardTrainingConfig.EvalEvery"/> steps and the weights with the lowest one are kept
/// (early stopping by best checkpoint). Deterministic for a seed: the initial weights, the split and the data
/// order (<see cref="PairBatchSchedule"/>) all come from it.
/// </summary>
public static class RewardModelTrainer
{
    /// <summary>Trains <paramref name="model"/> in place and returns the run's figures.</summary>
    /// <param name="progress">Steps done so far.</param>
    /// <param name="log">One line per held-out evaluation.</param>
    /// <exception cref="DiffusionAlignException">Fewer training pairs than one batch, or a prompt the model cannot
    /// encode.</exception>
    public static RewardTrainingResult Train(
        LearnedRewardModel model, PreferenceDataset pairs, RewardTrainingConfig config,
        IProgress<int>? progress = null, Action<string>? log = null, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(pairs);
        config.Validate();
        var (train, heldOut) = Split(pairs, config);
        var schedule = new PairBatchSchedule(train.Count, config.BatchSize, config.Seed);
        using var data = PairTensors.Of(model, train);
        using var held = heldOut.Count > 0 ? PairTensors.Of(model, heldOut) : null;

        var points = new List<RewardHeldOutPoint>();
        Dictionary<string, Tensor>? best = null;
        int bestStep = config.Steps;
        double bestLoss = double.PositiveInfinity;
        double trainLoss = double.NaN, trainAccuracy = double.NaN;
        model.Network.train();
        using var optimizer = new FlatAdamW(model.Network.parameters().ToList(),
            new AdamWSettings(config.LearningRate, WeightDecay: config.WeightDecay));
        try
        {
            for (int step = 0; step < config.Steps; step++)
            {
                cancel.ThrowIfCancellationRequested();
                (trainLoss, trainAccuracy) = Step(model, data, schedule.Batch(step), optimizer, config.GradClipNorm);
                int done = step + 1;
                if (held is not null && (done % config.EvalEvery == 0 || done == config.Steps))
                {
                    var (loss, accuracy) = Evaluate(model, held);
                    points.Add(new RewardHeldOutPoint(done, loss, accuracy, trainLoss, trainAccuracy));
                    log?.Invoke($"step {done}: train loss {trainLoss:F4}, held-out loss {loss:F4}, "
                        + $"held-out accuracy {accuracy:F3} (n={held.Count})");
                    if (best is null || loss < bestLoss)
                    {
                        Release(best);
                        best = Snapshot(model);
                        (bestStep, bestLoss) = (done, loss);
                    }
                    model.Network.train();
                }
                progress?.Report(done);
            }
            if (best is not null) Restore(model, best);
        }
        finally
        {
            Release(best);
            model.Network.eval();
        }
        var kept = points.FirstOrDefault(p => p.Step == bestStep);
        return new RewardTrainingResult(config, train.Count, heldOut.Count, heldOut.Prompts.Count, bestStep,
            kept?.Loss, kept?.Accuracy, trainLoss, trainAccuracy, points);
    }

    /// <summary>
    /// The pairs <see cref="Train"/> trains on and the ones it holds out, as it splits them (by prompt, seeded).
    /// </summary>
    public static (PreferenceDataset Train, PreferenceDataset HeldOut) Split(
        PreferenceDataset pairs, RewardTrainingConfig config) =>
        pairs.Split(config.HeldOutFraction, StepSeeds.Int32(config.Seed, 0, StepSeeds.Stream.Split));

    /// <summary>One AdamW step on the pairs at <paramref name="indices"/>; returns its loss and accuracy.</summary>
    private static (double Loss, double Accuracy) Step(
        LearnedRewardModel model, PairTensors data, int[] indices, FlatAdamW optimizer, double clip)
    {
        using var scope = NewDisposeScope();
        var index = tensor(indices.Select(i => (long)i).ToArray(), ScalarType.Int64);
        var images = cat([data.Winners.index_select(0, index), data.Losers.index_select(0, index)], 0);
        var ids = data.TokenIds.index_select(0, index);
        // Winners and losers in one forward: one pass over the towers instead of two.
        var rewards = model.Network.forward(images, cat([ids, ids], 0));
        var output = BradleyTerryRewardLoss.Compute(rewards.narrow(0, 0, indices.Length),
            rewards.narrow(0, indices.Length, indices.Length));
        optimizer.ZeroGrad();
        output.Loss.backward();
        optimizer.ClipGradNorm(clip).Dispose();
        optimizer.Step();
        return (output.Loss.item<float>(), output.Accuracy);
    }

    /// <summary>Mean Bradley–Terry loss and accuracy on held-out pairs, without gradients.</summary>
    private static (double Loss, double Accuracy) Evaluate(LearnedRewardModel model, PairTensors data)
    {
        model.Network.eval();
        var margins = new List<double>(data.Count);
        const int chunk = 256;
        for (int start = 0; start < data.Count; start += chunk)
        {
            int n = Math.Min(chunk, data.Count - start);
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var chosen = model.Network.forward(data.Winners.narrow(0, start, n), data.TokenIds.narrow(0, start, n));
            var rejected = model.Network.forward(data.Losers.narrow(0, start, n), data.TokenIds.narrow(0, start, n));
            margins.AddRange(chosen.sub(rejected).to(ScalarType.Float64).data<double>().ToArray());
        }
        return (margins.Average(NegativeLogSigmoid), BradleyTerryRewardLoss.Accuracy(margins));
    }

    /// <summary>−log σ(m), stable for margins of either sign.</summary>
    private static double NegativeLogSigmoid(double m) =>
        m >= 0 ? Math.Log(1 + Math.Exp(-m)) : Math.Log(1 + Math.Exp(m)) - m;

    private static Dictionary<string, Tensor> Snapshot(LearnedRewardModel model)
    {
        using var _ = no_grad();
        return model.Network.state_dict().ToDictionary(
            kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope(), StringComparer.Ordinal);
    }

    private static void Restore(LearnedRewardModel model, Dictionary<string, Tensor> weights)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        foreach (var (name, value) in model.Network.state_dict()) value.copy_(weights[name]);
    }

    private static void Release(Dictionary<string, Tensor>? weights)
    {
        if (weights is null) return;
        foreach (var tensor in weights.Values) tensor.Dispose();
        weights.Clear();
    }

    /// <summary>A dataset as tensors, built once: winners and losers [N, 3, S, S] in [−1, 1], token ids [N, L].
    /// </summary>
    private sealed class PairTensors : IDisposable
    {
        private PairTensors(Tensor winners, Tensor losers, Tensor tokenIds, int count)
        {
            (Winners, Losers, TokenIds, Count) = (winners, losers, tokenIds, count);
        }

        public Tensor Winners { get; }
        public Tensor Losers { get; }
        public Tensor TokenIds { get; }
        public int Count { get; }

        public static PairTensors Of(LearnedRewardModel model, PreferenceDataset pairs)
        {
            int size = model.Config.ImageSize;
            var winners = RewardInputs.AtSize(pairs.Select(p => p.Winner).ToArray(), size);
            var losers = RewardInputs.AtSize(pairs.Select(p => p.Loser).ToArray(), size);
            return new PairTensors(
                ImageTensors.ToTensor(winners).DetachFromDisposeScope(),
                ImageTensors.ToTensor(losers).DetachFromDisposeScope(),
                model.Encode(pairs.Select(p => p.Prompt).ToArray()).DetachFromDisposeScope(),
                pairs.Count);
        }

        public void Dispose()
        {
            Winners.Dispose();
            Losers.Dispose();
            TokenIds.Dispose();
        }
    }
}
