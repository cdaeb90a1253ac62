using System.CommandLine;
using DiffusionAlign.Imaging;
using DiffusionAlign.Mixing;
using DiffusionAlign.Runtime;
using DiffusionAlign.Sampling;
using static TorchSharp.torch;

namespace DiffusionAlign.Cli.Commands;

/// <summary><c>dalign sample</c>: draws a grid of images for one prompt.</summary>
public static class SampleCommand
{
    public static Command Create()
    {
        var defaults = new SamplingOptions();
        var model = new Option<string>("--model")
        {
            Description = "DiffusionAlign model folder (config.json + model.safetensors), diffusers pipeline folder, "
                + "an align run's folder, or a policy mixture folder from 'dalign mix --out'",
            Required = true,
        };
        var prompt = new Option<string?>("--prompt")
        {
            Description = "Text prompt, e.g. \"a red circle on a blue background\" (needed unless --unconditional)",
        };
        var unconditional = new Option<bool>("--unconditional")
        {
            Description = "Sample with the empty prompt (what guidance steers away from) instead of --prompt",
        };
        var n = new Option<int>("--n") { Description = "Number of images", DefaultValueFactory = _ => 16 };
        var steps = new Option<int>("--steps")
        {
            Description = "DDIM steps", DefaultValueFactory = _ => defaults.Steps,
        };
        var guidance = new Option<double>("--guidance")
        {
            Description = "Classifier-free guidance scale", DefaultValueFactory = _ => defaults.GuidanceScale,
        };
        var eta = new Option<double>("--eta")
        {
            Description = "DDIM eta (0 = deterministic)", DefaultValueFactory = _ => defaults.Eta,
        };
        var scale = new Option<int>("--scale")
        {
            Description = "Upscale factor of the grid image (nearest neighbour)", DefaultValueFactory = _ => 4,
        };
        var outPath = new Option<string>("--out") { Description = "PNG file for the grid", Required = true };
        var seed = CommonOptions.Seed();
        var device = CommonOptions.Device();
        var height = new Option<int?>("--height")
        {
            Description = "Image height in pixels (default: the model's native size)",
        };
        var width = new Option<int?>("--width")
        {
            Description = "Image width in pixels (default: the model's native size)",
        };
        var negative = new Option<string?>("--negative-prompt")
        {
            Description = "What guidance steers away from (default: the empty prompt)",
        };
        var threads = CommonOptions.Threads();

        var command = new Command("sample",
            "Sample a grid of images for a prompt, from a DiffusionAlign model folder or a diffusers pipeline folder");
        foreach (var o in new Option[]
                 {
                     model, prompt, unconditional, n, steps, guidance, eta, scale, height, width, negative, outPath,
                     seed, device, threads,
                 })
            command.Options.Add(o);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            string path = result.GetValue(outPath)!;
            OutputPath.CheckFile(path, "grid.png");
            string text = Prompt(result.GetValue(prompt), result.GetValue(unconditional));
            var dev = CommonOptions.Setup(result, device, threads);
            int count = result.GetValue(n);
            if (count is < 1 or > 1024) throw new DiffusionAlignException($"--n must be in 1..1024, got {count}");
            int factor = result.GetValue(scale);
            if (factor is < 1 or > 16) throw new DiffusionAlignException($"--scale must be in 1..16, got {factor}");
            var options = new SamplingOptions(result.GetValue(steps), result.GetValue(guidance), result.GetValue(eta));
            options.Validate();
            string modelDir = result.GetValue(model)!;
            long s = result.GetValue(seed);
            var prompts = Enumerable.Repeat(text, count).ToList();
            Tensor? images = null;
            using var loaded = PolicyFolder.Load(modelDir, dev);
            loaded.Freeze();
            loaded.Tokenizer.Encode(text); // Rejects unknown words before any compute.
            var negatives = result.GetValue(negative) is string no ? Enumerable.Repeat(no, count).ToList() : null;
            negatives?.ForEach(p => loaded.Tokenizer.Encode(p));
            var shape = loaded.SampleShape(result.GetValue(height), result.GetValue(width));
            using var noise = TextToImageSampler.InitialNoise(count, shape, s);
            ProgressDisplay.Run("sample", options.Steps, report =>
                images = TextToImageSampler.Generate(loaded, prompts, noise, options, s,
                    new ImmediateProgress<int>(i => report(i, "")), negatives));
            using var _ = images;
            int columns = (int)Math.Ceiling(Math.Sqrt(count));
            string what = text.Length == 0 ? $"{count} unconditional samples" : $"{count} samples of \"{text}\"";
            // The prompt as the grid's title; padding scales with the cells, as when the whole grid was enlarged.
            var grid = LabelledImageGrid.Compose(ImageTensors.ToImages(images!.cpu()), columns,
                new GridText(Title: text.Length == 0 ? "unconditional" : text), factor, padding: 2 * factor);
            ImageCodec.SavePng(grid, path);
            CliOutput.Log($"wrote {path} ({what})");
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// The prompt to sample: an empty or blank --prompt is a mistake (a shell variable that was not set), not a
    /// request for unconditional samples, which --unconditional asks for explicitly.
    /// </summary>
    private static string Prompt(string? prompt, bool unconditional)
    {
        bool blank = string.IsNullOrWhiteSpace(prompt);
        if (unconditional && !blank)
            throw new DiffusionAlignException("--unconditional samples without a prompt: drop --prompt or it");
        if (!unconditional && blank)
            throw new DiffusionAlignException(prompt is null
                ? "give --prompt TEXT, or --unconditional to sample without a prompt"
                : "--prompt is empty; give a prompt, or --unconditional to sample without one");
        return unconditional ? "" : prompt!;
    }
}
