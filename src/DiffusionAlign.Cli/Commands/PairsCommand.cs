using System.CommandLine;
using System.Globalization;
using DiffusionAlign.Data;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Rewards;
using DiffusionAlign.Runtime;
using DiffusionAlign.Sampling;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Cli.Commands;

/// <summary>
/// <c>dalign pairs</c>: makes labelled preference pairs in the shapes world; under <c>mpirun -np N</c>, the N processes
/// share the sampling in whole batches and rank 0 writes the pairs one process writes.
/// </summary>
public static class PairsCommand
{
    public static Command Create()
    {
        var defaults = new PairGenerationConfig(Count: 1);
        var model = new Option<string?>("--model")
        {
            Description = "Model folder to sample pairs from (needed with --from model)",
        };
        var n = new Option<int>("--n") { Description = "Number of pairs", Required = true };
        var outDir = new Option<string>("--out") { Description = "Folder for pairs.jsonl + images/", Required = true };
        var from = CommonOptions.Choice("--from", "Where images come from: model or renderer", "model", "renderer");
        from.DefaultValueFactory = _ => defaults.Source == PairSource.Renderer ? "renderer" : "model";
        var tau = new Option<string>("--tau")
        {
            Description = "Bradley–Terry temperature τ, or 'auto' for "
                + $"{defaults.TargetAgreement * 100:F0}% expected agreement with the reward order",
            DefaultValueFactory = _ => "auto",
        };
        var labeler = new Option<string>("--labeler")
        {
            Description = "Reward model the labels are drawn from: 'true' (the world's hidden reward), 'alignment' "
                + "or 'aesthetics' (one half of it), or a reward model folder from 'dalign reward train' (τ is then "
                + "on its own scores)",
            HelpName = "true|alignment|aesthetics|MODEL_DIR",
            DefaultValueFactory = _ => ShapesTrueReward.CliName,
        };
        var heldOut = new Option<bool>("--held-out") { Description = "Use held-out prompts (for evaluation pairs)" };
        var steps = new Option<int>("--steps")
        {
            Description = "DDIM steps when sampling", DefaultValueFactory = _ => defaults.EffectiveSampling.Steps,
        };
        var guidance = new Option<double>("--guidance")
        {
            Description = "Guidance scale when sampling",
            DefaultValueFactory = _ => defaults.EffectiveSampling.GuidanceScale,
        };
        var batch = new Option<int>("--batch")
        {
            Description = "Images per sampling batch (two per pair; under mpirun the unit shared between processes)",
            DefaultValueFactory = _ => defaults.BatchSize,
        };
        var seed = CommonOptions.Seed(defaults.Seed);
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();

        var command = new Command("pairs",
            "Sample two images per prompt, score them with the world's reward (or --labeler) and label them by a "
            + "Bradley–Terry draw");
        foreach (var o in new Option[]
                 {
                     model, n, outDir, from, tau, labeler, heldOut, steps, guidance, batch, seed, device, threads,
                 })
            command.Options.Add(o);
        command.SetAction(result => CommandRunner.WithWorld(world => CommandRunner.Run(() =>
        {
            OutputPath.CheckFolder(result.GetValue(outDir));
            var dev = CommonOptions.Setup(result, device, threads);
            var source = result.GetValue(from) == "renderer" ? PairSource.Renderer : PairSource.Model;
            string tauText = result.GetValue(tau)!;
            double? tauValue = tauText.Equals("auto", StringComparison.OrdinalIgnoreCase) ? null
                : double.TryParse(tauText, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) ? t
                : throw new DiffusionAlignException($"--tau must be a number or 'auto', got '{tauText}'");
            var config = defaults with
            {
                Count = result.GetValue(n),
                Seed = result.GetValue(seed),
                Source = source,
                HeldOut = result.GetValue(heldOut),
                Tau = tauValue,
                BatchSize = result.GetValue(batch),
                Sampling = defaults.EffectiveSampling with
                {
                    Steps = result.GetValue(steps),
                    GuidanceScale = result.GetValue(guidance),
                },
            };
            config.Validate();
            string labelerSpec = result.GetValue(labeler)!;
            // The true reward stays the generator's own path (null), so default pairs are exactly as before.
            var shapes = new ShapesWorld();
            using var rewardModel = RewardModels.IsTrueReward(labelerSpec) ? null
                : RewardModels.Open(labelerSpec, shapes);
            string? modelDir = result.GetValue(model);
            if (source == PairSource.Model && modelDir is null)
                throw new DiffusionAlignException("--model is required with --from model");
            using var loaded = source == PairSource.Model ? TextToImageModel.Load(modelDir!, dev) : null;
            loaded?.Freeze();
            if (loaded is { IsLatent: true })
                throw new DiffusionAlignException(
                    "pairs labels samples with the shapes world's reward, which cannot score a Stable Diffusion "
                    + "model's images; align it on Pick-a-Pic-style pairs (--pairs FILE.parquet) instead");
            // Nothing is written until every pair is made, so a stopped run leaves --out as it was.
            var cancel = CommandRunner.CancelOnCtrlC();
            PairGenerationResult generated = null!;
            void Generate(IProgress<int>? progress) =>
                generated = ShapesPairGenerator.Generate(loaded, shapes, config, progress, cancel,
                    rewardModel, world);
            if (world.Rank != 0)
            {
                Generate(null);
                return 0; // rank 0 writes the pairs
            }
            if (world.Size > 1)
                CliOutput.Log($"sharded: {world.Size} processes draw whole batches in turn, "
                    + $"{ComputeDevice.Threads()} threads each");
            ProgressDisplay.Run("pairs", config.Count, report =>
                Generate(new ImmediateProgress<int>(d => report(d, ""))));
            string dir = result.GetValue(outDir)!;
            PairsFolder.Write(dir, generated.Pairs);
            PairLabelInfo.Save(dir, generated);
            CliOutput.Log($"wrote {generated.Pairs.Count} pairs to {dir}: τ = {generated.Tau:G4}, labels agree "
                + $"with the reward order on {generated.Agreement:P1} (expected {generated.ExpectedAgreement:P1}), "
                + $"mean reward {generated.MeanReward:F3}");
            if (generated.Labeler is string name)
                CliOutput.Log($"labels drawn from reward model {name}; they agree with the true reward order on "
                    + $"{generated.TrueRewardAgreement:P1}");
            return 0;
        })));
        return command;
    }
}
