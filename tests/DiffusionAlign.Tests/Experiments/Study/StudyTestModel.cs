using DiffusionAlign.Experiments.Study;
using DiffusionAlign.Models;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Sampling;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Experiments.Study;

/// <summary>
/// A micro model at the renderer's 32 pixels (the off-policy regime trains on renders), saved to a folder as the
/// study loads its base model, and the smallest study settings that still exercise every stage and table.
/// </summary>
internal static class StudyTestModel
{
    public static string Save(string dir, long seed = 0)
    {
        var world = new ShapesWorld();
        var micro = TestModels.MicroConfig(world);
        var config = micro with { ImageSize = 32, Unet = micro.Unet with { SampleSize = 32 } };
        using var model = TextToImageModel.Create(config, seed);
        model.Save(dir);
        return dir;
    }

    public static StudyConfig Tiny => StudyConfig.Quick with
    {
        TrainPairs = 8,
        ValidationPairs = 4,
        TestPairs = 4,
        Sampling = new SamplingOptions(Steps: 2, GuidanceScale: 3.0),
        Training = new StudyTraining { Steps = 2, BatchSize = 2, WarmupSteps = 1, Checkpoints = 2 },
        ValidationPrompts = 2,
        ValidationSeeds = 2,
        TestPrompts = 2,
        TestSeeds = 2,
        ElboDraws = 1,
        Replicates = 3,
        BootstrapResamples = 100,
    };
}
