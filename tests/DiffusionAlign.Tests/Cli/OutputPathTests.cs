namespace DiffusionAlign.Tests.Cli;

/// <summary>
/// Every command checks --out before any work: a folder where a file is meant, a file where a folder is meant,
/// or a place nothing can be created fails at once, before the (missing) model would even be looked for.
/// </summary>
[Collection("Console")]
public sealed class OutputPathTests
{
    private const string NoModel = "/nonexistent/model";

    /// <summary>Each command's required flags but --out, with inputs that do not exist.</summary>
    private static string[] Command(string name) => name switch
    {
        "sample" => ["sample", "--model", NoModel, "--prompt", "a red circle"],
        "eval" => ["eval", "--model", "a=" + NoModel, "--baseline", "a"],
        "pretrain" => ["pretrain"],
        "align" => ["align", "--method", "dpo", "--model", NoModel, "--pairs", "/nonexistent/pairs"],
        "pairs" => ["pairs", "--n", "2", "--model", NoModel],
        "export" => ["export", "--run", NoModel],
        "cache-latents" => ["cache-latents", "--model", NoModel, "--pairs", "/nonexistent/pairs"],
        _ => ["demo", "--base", NoModel],
    };

    [Theory]
    [InlineData("sample", "grid.png")]
    [InlineData("eval", "results.json")]
    public void AFolderWhereAFileIsMeantIsRefused(string command, string example)
    {
        using var dir = new TestModels.TempDir();
        var run = CliRunner.Run([.. Command(command), "--out", dir.Path]);
        CliAssert.OneLineError(run, $"--out {dir.Path} is a folder; give the file to write, e.g. "
            + Path.Combine(dir.Path, example));
    }

    [Theory]
    [InlineData("pretrain")]
    [InlineData("align")]
    [InlineData("pairs")]
    [InlineData("export")]
    [InlineData("cache-latents")]
    [InlineData("demo")]
    public void AFileWhereAFolderIsMeantIsRefused(string command)
    {
        using var dir = new TestModels.TempDir();
        string file = Path.Combine(dir.Path, "taken");
        File.WriteAllText(file, "not a folder");
        var run = CliRunner.Run([.. Command(command), "--out", file]);
        CliAssert.OneLineError(run, $"--out {file} is a file; give a folder to write into");
        Assert.Equal("not a folder", File.ReadAllText(file));

        // Nor can anything be created below a file.
        string below = Path.Combine(file, "sub", command == "pretrain" ? "run" : "x");
        CliAssert.OneLineError(CliRunner.Run([.. Command(command), "--out", below]), $"{file} is a file, not a folder");
    }

    [Theory]
    [InlineData("sample", "g.png")]
    [InlineData("eval", "r.json")]
    [InlineData("pretrain", "run")]
    [InlineData("align", "run")]
    [InlineData("pairs", "pairs")]
    public void APlaceWhereNothingCanBeCreatedIsRefused(string command, string name)
    {
        // /proc takes no new files, even for root.
        string path = Path.Combine("/proc", "dalign-nowhere", name);
        var run = CliRunner.Run([.. Command(command), "--out", path]);
        CliAssert.OneLineError(run, $"--out {path}: cannot create files in /proc");
    }

    [Fact]
    public void AWritableOutLetsTheCommandGoOnToItsInputs()
    {
        using var dir = new TestModels.TempDir();
        var run = CliRunner.Run([.. Command("sample"), "--out", Path.Combine(dir.Path, "new", "g.png")]);
        CliAssert.OneLineError(run, "model folder not found");
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path)); // the check leaves nothing behind
    }
}
