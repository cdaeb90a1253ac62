// The learned reward model learns the true reward's order from renderer pairs, reproducibly, and round-trips.
using DiffusionAlign.Data;
using DiffusionAlign.Data.Generation;
using DiffusionAlign.Imaging;
using DiffusionAlign.Rewards;
using DiffusionAlign.Worlds.Shapes;
using Xunit.Abstractions;

namespace DiffusionAlign.Tests.Rewards;

/// <summary>
/// One training run on renderer pairs (no diffusion model needed), shared by the tests that read it: 600 training
/// pairs whose labels agree with the true reward on 90% in expectation, 150 steps of 32 pairs (measured 7 s on a
/// lightly loaded 2-core machine, 56 s at load average 20), scored on 300 pairs of the held-out test prompts.
/// </summary>
public sealed class TrainedRewardFixture : IDisposable
{
    public static readonly RewardTrainingConfig Config = new(Steps: 150, BatchSize: 32, Seed: 7, EvalEvery: 50);

    public TrainedRewardFixture()
    {
        World = new ShapesWorld();
        Train = RendererPairs(World, 600, seed: 1, heldOut: false);
        Test = RendererPairs(World, 300, seed: 2, heldOut: true);
        var started = DateTime.UtcNow;
        Model = LearnedRewardModel.Create(new LearnedRewardConfig(), Config.Seed);
        Training = RewardModelTrainer.Train(Model, new PreferenceDataset(Train), Config);
        Seconds = (DateTime.UtcNow - started).TotalSeconds;
        Accuracy = RewardAccuracy.Evaluate(Model, Test, World);
    }

    public ShapesWorld World { get; }
    public IReadOnlyList<PreferencePair> Train { get; }
    public IReadOnlyList<PreferencePair> Test { get; }
    public LearnedRewardModel Model { get; }
    public RewardTrainingResult Training { get; }
    public RewardAccuracyResult Accuracy { get; }
    public double Seconds { get; }

    public static IReadOnlyList<PreferencePair> RendererPairs(ShapesWorld world, int count, int seed, bool heldOut) =>
        ShapesPairGenerator.Generate(null, world, new PairGenerationConfig(
            count, seed, PairSource.Renderer, HeldOut: heldOut, TargetAgreement: 0.9)).Pairs;

    public void Dispose() => Model.Dispose();
}

public sealed class LearnedRewardModelTests(TrainedRewardFixture trained, ITestOutputHelper output)
    : IClassFixture<TrainedRewardFixture>
{
    [Fact]
    public void LearnsTheTrueRewardOrderOnHeldOutPrompts()
    {
        var a = trained.Accuracy;
        output.WriteLine($"trained in {trained.Seconds:F1}s, kept step {trained.Training.KeptStep} "
            + $"(held-out label accuracy {trained.Training.HeldOutAccuracy:F3}); "
            + $"true order {a.TrueOrderAccuracy}, labels {a.LabelAccuracy}, labels vs true {a.LabelTrueAgreement}");
        Assert.Equal(300, a.Pairs);
        Assert.Equal(300, a.TrueOrderAccuracy!.N);
        // Measured 0.687 [0.632, 0.737] on this run (0.670 with 1000 pairs and 200 steps); chance is 0.5, and the
        // shuffled-label control below measured 0.550.
        Assert.True(a.TrueOrderAccuracy.Value > 0.60, $"true-order accuracy {a.TrueOrderAccuracy.Value:F3}");
        Assert.True(a.TrueOrderAccuracy.CiLow > 0.5);
        Assert.True(trained.Training.HeldOutAccuracy > 0.55,
            $"held-out label accuracy {trained.Training.HeldOutAccuracy}");
    }

    [Fact]
    public void ShuffledLabelsTeachNothing()
    {
        // The control: the same pairs and run with each label replaced by a fair coin.
        var coin = new Random(11);
        var shuffled = trained.Train
            .Select(p => coin.Next(2) == 0 ? p : p with { Winner = p.Loser, Loser = p.Winner })
            .ToList();
        using var model = LearnedRewardModel.Create(new LearnedRewardConfig(), TrainedRewardFixture.Config.Seed);
        RewardModelTrainer.Train(model, new PreferenceDataset(shuffled), TrainedRewardFixture.Config);
        var a = RewardAccuracy.Evaluate(model, trained.Test, trained.World);
        output.WriteLine($"shuffled labels: true order {a.TrueOrderAccuracy}");
        Assert.InRange(a.TrueOrderAccuracy!.Value, 0.38, 0.62);
    }

    [Fact]
    public void SavedAndLoadedModelScoresBitIdentically()
    {
        using var dir = new TestModels.TempDir();
        trained.Model.Save(dir.Path);
        using var loaded = LearnedRewardModel.Load(dir.Path);
        var prompts = trained.Test.Select(p => p.Prompt).ToArray();
        var images = trained.Test.Select(p => p.Winner).ToArray();
        Assert.Equal(trained.Model.Score(prompts, images), loaded.Score(prompts, images));
        Assert.Equal(trained.Model.Config.ToJson(), loaded.Config.ToJson());
    }

    [Fact]
    public void TrainingIsDeterministicUnderASeed()
    {
        var pairs = new PreferenceDataset(trained.Train.Take(120));
        var config = new RewardTrainingConfig(Steps: 8, BatchSize: 16, Seed: 3, EvalEvery: 4);
        double[] Run(long seed)
        {
            using var model = LearnedRewardModel.Create(new LearnedRewardConfig(), seed);
            RewardModelTrainer.Train(model, pairs, config with { Seed = seed });
            return model.Score(trained.Test.Select(p => p.Prompt).ToArray(),
                trained.Test.Select(p => p.Loser).ToArray());
        }
        var first = Run(3);
        Assert.Equal(first, Run(3));
        Assert.NotEqual(first, Run(4));
    }

    [Fact]
    public void ScoresImagesOfAnotherSizeAtItsOwn()
    {
        var pair = trained.Test[0];
        var big = ImageResize.Resize(pair.Winner, 64, 64);
        double[] scores = trained.Model.Score([pair.Prompt, pair.Prompt], [big, ImageResize.ToSquare(big, 32)]);
        Assert.Equal(scores[0], scores[1]);
    }
}
