using System.CommandLine;
using DiffusionAlign.Data;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Runtime;

namespace DiffusionAlign.Cli.Commands;

/// <summary>
/// <c>dalign cache-latents</c>: encodes preference pairs once with a Stable Diffusion model's VAE, so
/// <c>align --pairs CACHE</c> trains without the encoder and without holding the dataset in memory.
/// </summary>
public static class CacheLatentsCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "The diffusers folder (or align run) whose VAE encodes the images", Required = true,
        };
        var pairs = new Option<string>("--pairs")
        {
            Description = "Pick-a-Pic parquet file or folder of shards (read a row group at a time), or a pairs "
                + "folder",
            Required = true,
        };
        var outDir = new Option<string>("--out") { Description = "The cache folder to write", Required = true };
        var resolution = new Option<int?>("--resolution")
        {
            Description = "Image side in pixels (default: the model's native size)",
        };
        var flips = new Option<bool>("--random-flip")
        {
            Description = "Also store the mirrored images' latents, for align --random-flip (doubles the size)",
        };
        var maxPairs = new Option<int?>("--max-pairs") { Description = "Cache at most this many pairs" };
        var batch = new Option<int>("--batch")
        {
            Description = "Pairs encoded together", DefaultValueFactory = _ => 8,
        };
        var device = CommonOptions.Device();
        var threads = CommonOptions.Threads();
        var command = new Command("cache-latents",
            "Encode preference pairs with a Stable Diffusion VAE once, for align --pairs CACHE");
        foreach (var o in new Option[] { model, pairs, outDir, resolution, flips, maxPairs, batch, device, threads })
            command.Options.Add(o);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            OutputPath.CheckFolder(result.GetValue(outDir));
            var dev = CommonOptions.Setup(result, device, threads);
            if (result.GetValue(maxPairs) is < 1)
                throw new DiffusionAlignException($"--max-pairs must be at least 1, got {result.GetValue(maxPairs)}");
            if (result.GetValue(batch) < 1)
                throw new DiffusionAlignException($"--batch must be at least 1, got {result.GetValue(batch)}");
            string source = result.GetValue(pairs)!;
            using var vaeModel = TextToImageModel.Load(result.GetValue(model)!, dev);
            if (!vaeModel.IsLatent)
                throw new DiffusionAlignException("cache-latents needs a Stable Diffusion model (with a VAE)");
            vaeModel.Freeze();
            int size = result.GetValue(resolution) ?? vaeModel.Config.ImageSize;
            vaeModel.SampleShape(size, size);
            LoadReport? report = null;
            IEnumerable<PreferencePair> stream;
            if (PreferenceData.IsParquet(source)) stream = PickAPicParquet.Stream(source, size, r => report = r);
            else
            {
                (var dataset, report) = PreferenceData.Load(source, size,
                    checkPrompt: PreferenceData.PromptCheck(vaeModel.Tokenizer));
                stream = dataset;
            }
            if (result.GetValue(maxPairs) is int max) stream = stream.Take(max);
            string dir = result.GetValue(outDir)!;
            LatentPairCache.CacheInfo info = null!;
            ProgressDisplay.Run("cache-latents", result.GetValue(maxPairs) ?? 0, progress =>
                info = LatentPairCache.Write(dir, vaeModel, stream, size, result.GetValue(flips), source,
                    result.GetValue(batch), new ImmediateProgress<int>(n => progress(n, "pairs"))));
            CliOutput.Log($"wrote {info.Pairs} pairs' latents [{string.Join("×", info.LatentShape)}] to {dir}"
                + (info.Flips ? " (with mirrored copies)" : ""));
            if (report is not null) CliOutput.Log($"data: {report}");
            return 0;
        }));
        return command;
    }
}
