using DiffusionAlign.Pipelines;
using Xunit.Abstractions;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// Damaged diffusers pipeline folders (a config, the tokenizer, a weight file or shard index, or the layout
/// itself): loading one gives a model or a <see cref="DiffusionAlignException"/> naming the damaged file or folder.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class FuzzPipelineFolderTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] JsonFiles =
    [
        "model_index.json", "unet/config.json", "vae/config.json", "text_encoder/config.json",
        "scheduler/scheduler_config.json", "tokenizer/tokenizer_config.json", "tokenizer/vocab.json",
        $"text_encoder/{FuzzSeeds.TextEncoderIndex}",
    ];

    private static readonly string[] WeightFiles =
    [
        "unet/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.safetensors",
        "text_encoder/model-00001-of-00002.safetensors", "text_encoder/model-00002-of-00002.safetensors",
    ];

    private readonly TestModels.TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Damages the working copy; returns what was done and the file or folder an error must name.</summary>
    private static (string Description, string Names) Damage(string work, Random rng)
    {
        string Full(string relative) => Path.Combine(work, relative);
        int choice = rng.Next(10);
        if (choice < 4)
        {
            string file = JsonFiles[rng.Next(JsonFiles.Length)];
            var mutation = FuzzJson.Mutate(File.ReadAllText(Full(file)), rng);
            File.WriteAllText(Full(file), mutation.Text);
            return ($"{file}: {mutation.Description}", Full(file));
        }
        if (choice < 7)
        {
            string file = WeightFiles[rng.Next(WeightFiles.Length)];
            var damaged = FuzzSafetensorsBytes.Mutate(File.ReadAllBytes(Full(file)), rng, out string what);
            File.WriteAllBytes(Full(file), damaged);
            return ($"{file}: {what}", Full(file));
        }
        if (choice < 8)
        {
            const string merges = "tokenizer/merges.txt";
            File.WriteAllBytes(Full(merges), FuzzBytes.Mutate(File.ReadAllBytes(Full(merges)), rng, out string what));
            return ($"{merges}: {what}", Full(merges));
        }
        switch (rng.Next(5))
        {
            case 0:
            {
                var files = Directory.GetFiles(work, "*", SearchOption.AllDirectories)
                    .Where(f => Path.GetFileName(f) != "model_index.json").Order(StringComparer.Ordinal).ToArray();
                string file = files[rng.Next(files.Length)];
                File.Delete(file);
                return ($"delete {Path.GetRelativePath(work, file)}", Path.GetDirectoryName(file)!);
            }
            case 1:
            {
                string part = new[] { "unet", "vae", "text_encoder", "scheduler", "tokenizer" }[rng.Next(5)];
                Directory.Delete(Full(part), recursive: true);
                return ($"delete {part}/", work);
            }
            case 2:
                File.Copy(Full(WeightFiles[1]), Full(WeightFiles[0]), overwrite: true);
                return ("vae weights in unet/", Full(WeightFiles[0]));
            case 3:
                File.Copy(Full(WeightFiles[0]), Full(WeightFiles[1]), overwrite: true);
                return ("unet weights in vae/", Full(WeightFiles[1]));
            default:
                File.Move(Full(WeightFiles[0]), Full("unet/diffusion_pytorch_model.bin"));
                return ("unet weights as a pickle", Full("unet"));
        }
    }

    [Fact]
    public void DamagedPipelineFoldersLoadOrFailNamingTheFile()
    {
        string pristine = Path.Combine(_dir.Path, "pristine");
        string work = Path.Combine(_dir.Path, "work");
        FuzzSeeds.WritePipeline(pristine);
        var target = new FuzzTarget
        {
            Format = "pipeline-folder",
            Warmup = () =>
            {
                FuzzFolders.Restore(pristine, work);
                using var model = DiffusersPipelineFolder.Load(work);
            },
            Prepare = (_, rng) =>
            {
                FuzzFolders.Restore(pristine, work);
                var (description, names) = Damage(work, rng);
                // Load checks every weight header against the configs before it builds a module, so no damaged
                // config needs to be kept from it: each case runs, however large the model it describes.
                return new FuzzInput(description, FuzzFolders.Bytes(work), names);
            },
            Call = _ => DiffusersPipelineFolder.Load(work),
            CheckSuccess = (_, model) =>
            {
                ((IDisposable)model!).Dispose();
                return null;
            },
        };
        var tally = FuzzHarness.Run(target, FuzzSettings.Cases(100), output);
        FuzzHarness.AssertHeld(tally);
    }

    /// <summary>
    /// One digit too many in <c>vocab_size</c>: the config still parses, but describes a 256 MB token embedding
    /// beside weights of a few hundred kilobytes. Loading must refuse it without building that embedding first.
    /// </summary>
    [Fact]
    public void AConfigDescribingAModelFarLargerThanItsWeightsIsRefusedBeforeItIsBuilt()
    {
        string folder = Path.Combine(_dir.Path, "oversized");
        FuzzSeeds.WritePipeline(folder);
        string config = Path.Combine(folder, "text_encoder", "config.json");
        File.WriteAllText(config, FuzzSeeds.ClipConfig.Replace("\"vocab_size\": 12", "\"vocab_size\": 4000000"));
        var target = new FuzzTarget
        {
            Format = "pipeline-folder-oversized-config",
            Prepare = (_, _) => new FuzzInput("vocab_size 4000000", FuzzFolders.Bytes(folder), folder),
            Call = _ => DiffusersPipelineFolder.Load(folder),
            CheckSuccess = (_, model) =>
            {
                ((IDisposable)model!).Dispose();
                return "a text encoder of 4000000 tokens loaded from weights for 12";
            },
        };
        FuzzHarness.AssertHeld(FuzzHarness.Run(target, 1, output));
    }

    /// <summary>
    /// A layer count damaged to the largest int: building even a META copy of two billion layers would take
    /// hours, so Load must refuse it from the weights' tensor count first, naming the file.
    /// </summary>
    [Theory]
    [InlineData("text_encoder", "\"num_hidden_layers\": 1", "\"num_hidden_layers\": 2147483647")]
    [InlineData("unet", "\"transformer_layers_per_block\": 1", "\"transformer_layers_per_block\": 2147483647")]
    [InlineData("vae", "\"layers_per_block\": 1", "\"layers_per_block\": 2147483647")]
    public void ALayerCountNoWeightsCouldFillIsRefusedBeforeAnythingIsBuilt(string part, string from, string to)
    {
        string folder = Path.Combine(_dir.Path, "layers");
        FuzzSeeds.WritePipeline(folder);
        string config = Path.Combine(folder, part, "config.json");
        string text = File.ReadAllText(config);
        Assert.Contains(from, text);
        File.WriteAllText(config, text.Replace(from, to));
        var error = Assert.ThrowsAny<DiffusionAlignException>(() => DiffusersPipelineFolder.Load(folder));
        Assert.Contains(config, error.Message);
        Assert.Contains("layers", error.Message);
    }
}
