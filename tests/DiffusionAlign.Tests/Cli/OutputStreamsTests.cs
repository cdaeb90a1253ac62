using System.Text.Json;
using System.Text.Json.Nodes;

namespace DiffusionAlign.Tests.Cli;

/// <summary>
/// What scripts read: results on stdout, progress and logs on stderr; <c>--json</c> puts only JSON on stdout;
/// results.json keeps numbers as numbers and names each model's folder.
/// </summary>
[Collection("Console")]
public sealed class OutputStreamsTests : IDisposable
{
    private readonly TestModels.TempDir _dir = new();

    private string[] Eval(string results, params string[] extra) =>
    [
        "eval", "--model", "base=" + CliInputs.MicroModel(_dir.Path), "--baseline", "base", "--prompts", "2",
        "--seeds", "2", "--steps", "2", "--threads", "1", "--out", results, .. extra,
    ];

    [Fact]
    public void Eval_json_prints_only_the_results_json_on_stdout()
    {
        string results = Path.Combine(_dir.Path, "r.json");
        var run = CliRunner.Run(Eval(results, "--json"));
        Assert.True(run.Exit == 0, run.Err);

        var printed = JsonNode.Parse(run.Out); // throws unless stdout is exactly one JSON document
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(results)), printed));
        Assert.Contains("wrote " + results, run.Err);
        Assert.Contains("eval:", run.Err); // progress
    }

    [Fact]
    public void Results_keep_numbers_as_numbers_and_name_each_models_folder()
    {
        string results = Path.Combine(_dir.Path, "r.json");
        var run = CliRunner.Run(Eval(results));
        Assert.True(run.Exit == 0, run.Err);
        var json = JsonNode.Parse(File.ReadAllText(results))!;
        var settings = json["settings"]!.AsObject();
        foreach (var key in new[] { "prompts", "seeds", "sampling_steps", "guidance_scale", "seed", "beta" })
            Assert.Equal(JsonValueKind.Number, settings[key]!.GetValueKind());
        Assert.Equal(JsonValueKind.String, settings["prompt_set"]!.GetValueKind());
        Assert.Equal(Path.Combine(_dir.Path, "model"), (string?)json["model_folders"]!["base"]);

        // Tables on stdout, the progress and the note of what was written on stderr.
        Assert.Contains("mean reward", run.Out);
        Assert.DoesNotContain("eval:", run.Out);
        Assert.DoesNotContain("wrote", run.Out);
        Assert.Contains("wrote " + results, run.Err);
    }

    public void Dispose() => _dir.Dispose();
}
