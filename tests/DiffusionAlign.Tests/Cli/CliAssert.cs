namespace DiffusionAlign.Tests.Cli;

/// <summary>
/// What every user error of the CLI looks like: one error line on stderr (after any progress or log lines the
/// command printed before it found the mistake), exit code 2, no stack trace.
/// </summary>
public static class CliAssert
{
    public static void OneLineError((int Exit, string Out, string Err) run, string expectedFragment)
    {
        Assert.True(run.Exit == 2, $"exit {run.Exit}; stderr: {run.Err}");
        var lines = run.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var errors = lines.Where(l => l.StartsWith("dalign: error: ", StringComparison.Ordinal)).ToList();
        Assert.Single(errors);
        Assert.Equal(errors[0], lines[^1]);
        Assert.Contains(expectedFragment, errors[0]);
        Assert.DoesNotContain("   at ", run.Err);
    }
}
