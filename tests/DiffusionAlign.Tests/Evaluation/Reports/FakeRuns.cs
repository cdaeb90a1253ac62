using System.Globalization;
using System.Text.Json;
using DiffusionAlign.Evaluation;
using DiffusionAlign.Imaging;

namespace DiffusionAlign.Tests.Evaluation.Reports;

/// <summary>
/// Small run folders in the layouts the report reads, written by hand: a demo folder, an align run and an eval
/// results.json. No model is trained or sampled.
/// </summary>
public static class FakeRuns
{
    public static EvaluationResults Results(string dspoName = "dspo") => new()
    {
        Baseline = "base",
        Models = new()
        {
            ["base"] = new ModelScores(0.3512, 0.3401, 0.3623, 0.5, 96),
            ["dpo"] = new ModelScores(0.3987, 0.3850, 0.4124, 0.58, 96),
            [dspoName] = new ModelScores(0.4123, 0.4000, 0.4250, 0.61, 96),
        },
        WinRate = new()
        {
            ["dpo"] = new WinRateEntry("base", 0.5938, 0.4935, 0.6866, 96, 55, 4, 37),
            [dspoName] = new WinRateEntry("base", 0.625, 0.521, 0.719, 96, 58, 4, 34),
        },
        HeadToHead = new()
        {
            [$"{dspoName}_vs_dpo"] = new WinRateEntry("dpo", 0.5417, 0.4421, 0.6381, 96, 50, 4, 42),
        },
        RankingAccuracy = new() { ["base"] = 0.52, ["dpo"] = 0.57, [dspoName] = 0.61 },
        ImplicitRewardAccuracy = new() { ["dpo"] = 0.55, [dspoName] = 0.58 },
        IdealizedRankingAccuracy = 0.83,
        LabelRewardAgreement = 0.91,
        NoiseImageReward = 0.0512,
        HeldOutPairs = 48,
        Settings = new() { ["prompts"] = "8", ["seeds"] = "12" },
    };

    /// <summary>A PNG of <paramref name="width"/>×<paramref name="height"/> in a plain colour.</summary>
    public static byte[] Png(int width = 12, int height = 8, float red = 0.8f)
    {
        var image = new RgbImage(width, height);
        for (int i = 0; i < image.Pixels.Length; i += 3)
        {
            image.Pixels[i] = red;
            image.Pixels[i + 1] = 0.3f;
            image.Pixels[i + 2] = 0.1f;
        }
        return ImageCodec.EncodePng(image);
    }

    /// <summary>metrics.jsonl lines as the trainer logs them; pair objectives carry the pair metrics.</summary>
    public static void WriteMetrics(string path, int steps, bool pairMetrics, double lossScale = 1)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var lines = new List<string>();
        for (int step = 1; step <= steps; step++)
        {
            var line = new Dictionary<string, object>
            {
                ["step"] = step,
                ["loss"] = lossScale * (0.69 - 0.01 * step),
                ["lr"] = 1e-5,
                ["pairs_per_second"] = 12.5,
            };
            if (pairMetrics)
            {
                line["implicit_acc"] = 0.5 + 0.01 * step;
                line["winner_err_vs_ref"] = 0.001 * step;
                line["loser_err_vs_ref"] = 0.003 * step;
            }
            line["skipped_nonfinite_steps"] = 0;
            lines.Add(JsonSerializer.Serialize(line));
        }
        File.WriteAllLines(path, lines);
    }

    /// <summary>A pixel model's config.json reduced to the provenance the report reads.</summary>
    public static void WriteModelConfig(string dir, int method, double beta, string command = "dalign align")
    {
        var recipe = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Method"] = method, ["Steps"] = 20, ["BatchSize"] = 4, ["LearningRate"] = 1e-5, ["Beta"] = beta,
            ["Lora"] = new Dictionary<string, object> { ["Rank"] = 4 },
        });
        var config = new Dictionary<string, object>
        {
            ["image_size"] = 32,
            ["provenance"] = new Dictionary<string, string> { ["command"] = command, ["recipe"] = recipe },
        };
        File.WriteAllText(Path.Combine(dir, "config.json"), JsonSerializer.Serialize(config));
    }

    /// <summary>What <c>dalign demo</c> leaves: results.json, samples.png, training.png, models/NAME/.</summary>
    public static string Demo(string root, EvaluationResults? results = null)
    {
        string dir = Path.Combine(root, "demo");
        Directory.CreateDirectory(dir);
        (results ?? Results()).Save(Path.Combine(dir, "results.json"));
        File.WriteAllBytes(Path.Combine(dir, "samples.png"), Png(36, 27));
        File.WriteAllBytes(Path.Combine(dir, "training.png"), Png(20, 10, 0.1f));
        foreach (var (name, method, pair) in new[] { ("sft", 2, false), ("dpo", 1, true), ("dspo", 0, true) })
        {
            string model = Path.Combine(dir, "models", name);
            WriteMetrics(Path.Combine(model, "metrics.jsonl"), 8, pair);
            WriteModelConfig(model, method, 500);
            Directory.CreateDirectory(Path.Combine(model, "checkpoint", "step-8"));
        }
        return dir;
    }

    /// <summary>What <c>dalign align --out</c> leaves for a pixel model.</summary>
    public static string AlignRun(string root, string name = "align-dpo")
    {
        string dir = Path.Combine(root, name);
        WriteMetrics(Path.Combine(dir, "metrics.jsonl"), 20, pairMetrics: true, lossScale: 0.8);
        WriteModelConfig(dir, method: 1, beta: 2500, command: "dalign align --method dpo --out " + name);
        Directory.CreateDirectory(Path.Combine(dir, "checkpoint", "step-10"));
        Directory.CreateDirectory(Path.Combine(dir, "checkpoint", "step-20"));
        return dir;
    }

    public static string Invariant(double value, string format) =>
        value.ToString(format, CultureInfo.InvariantCulture);
}
