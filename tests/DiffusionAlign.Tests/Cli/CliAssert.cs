namespace DiffusionAlign.Tests.Cli;

/// <summary>What every user error of the CLI looks like: one line on stderr, exit code 2, no stack trace.</summary>
public static class CliAssert
{
    public static void OneLineError((int Exit, string Out, string Err) run, string expectedFragment)
    {
        Assert.True(run.Exit == 2, $"exit {run.Exit}; stderr: {run.Err}");
        var lines = run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("dalign: error: ", lines[0]);
        Assert.Contains(expectedFragment, lines[0]);
        Assert.DoesNotContain("   at ", run.Err);
    }
}
