using DiffusionAlign.Data;
using DiffusionAlign.Imaging;

namespace DiffusionAlign.Tests.Cli;

/// <summary>Inputs for CLI runs: a saved micro model and a pairs folder of chosen prompts.</summary>
public static class CliInputs
{
    public const string GoodPrompt = "a red circle on a blue background";

    /// <summary>Saves <see cref="TestModels.Micro"/> to <c>parent/model</c> and returns that folder.</summary>
    public static string MicroModel(string parent)
    {
        string dir = Path.Combine(parent, "model");
        using var model = TestModels.Micro();
        model.Save(dir);
        return dir;
    }

    /// <summary>
    /// The micro model at the renderer's 32 pixels (what <c>dalign study</c>'s off-policy pairs need), saved in
    /// <c>parent/model-32</c>.
    /// </summary>
    public static string MicroModel32(string parent) =>
        Experiments.Study.StudyTestModel.Save(Path.Combine(parent, "model-32"));

    /// <summary>A pairs folder <c>parent/pairs</c> with one pair of noise images per prompt.</summary>
    public static string Pairs(string parent, params string[] prompts)
    {
        string dir = Path.Combine(parent, "pairs");
        PairsFolder.Write(dir, prompts.Select((p, i) => new PreferencePair(p, Noise(2 * i), Noise(2 * i + 1))));
        return dir;
    }

    private static RgbImage Noise(int seed)
    {
        var rng = new Random(seed);
        var image = new RgbImage(16, 16);
        for (int i = 0; i < image.Pixels.Length; i++) image.Pixels[i] = (float)rng.NextDouble();
        return image;
    }
}
