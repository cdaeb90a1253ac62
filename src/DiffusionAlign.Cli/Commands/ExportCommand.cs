using System.CommandLine;
using DiffusionAlign.Pipelines;

namespace DiffusionAlign.Cli.Commands;

/// <summary>
/// <c>dalign export</c>: writes an aligned Stable Diffusion model as a diffusers folder, the adapters merged
/// into the UNet's weights or beside them in diffusers' LoRA file.
/// </summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run")
        {
            Description = "An align run's output folder (or any model folder dalign reads)", Required = true,
        };
        var outDir = new Option<string>("--out") { Description = "The diffusers folder to write", Required = true };
        var merge = new Option<bool>("--merge-lora")
        {
            Description = "Fold LoRA adapters into the weights (default: keep them in diffusers' LoRA file)",
        };
        var command = new Command("export", "Write an aligned Stable Diffusion model as a diffusers folder");
        foreach (var o in new Option[] { run, outDir, merge }) command.Options.Add(o);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            string source = result.GetValue(run)!;
            string dir = result.GetValue(outDir)!;
            OutputPath.CheckFolder(dir);
            using var model = TextToImageModel.Load(source);
            if (!model.IsLatent)
                throw new DiffusionAlignException(
                    $"{source} holds a pixel-space DiffusionAlign model; export writes Stable Diffusion models "
                    + "(read from diffusers folders) back as diffusers folders");
            if (Path.GetFullPath(dir).TrimEnd('/') == Path.GetFullPath(source).TrimEnd('/'))
                throw new DiffusionAlignException("--out must differ from --run");
            bool adapters = model.HasAdapters;
            DiffusersPipelineFolder.Save(model, dir, result.GetValue(merge),
                new Dictionary<string, string> { ["exported_from"] = Path.GetFullPath(source) });
            string how = !adapters ? "" : result.GetValue(merge) ? " (LoRA merged)" : " (LoRA kept separate)";
            CliOutput.Log($"wrote diffusers folder {dir}{how}");
            return 0;
        }));
        return command;
    }
}
