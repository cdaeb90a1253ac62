using DiffusionAlign.Bench.Machine;

namespace DiffusionAlign.Bench.Tests.Machine;

public sealed class ChildProcessTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReturnsExitCodeAndBothStreamsAndPassesLinesOn(bool live)
    {
        if (!OperatingSystem.IsLinux()) return;
        var seen = new List<string>();
        var result = ChildProcess.Run("/bin/sh", ["-c", "echo a; echo b; echo oops >&2; exit 3"],
            onStdoutLine: live ? seen.Add : null);
        Assert.NotNull(result);
        Assert.Equal(3, result.ExitCode);
        Assert.False(result.TimedOut);
        Assert.Equal(["a", "b"],
            result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal("oops", result.Stderr.Trim());
        Assert.Equal(live ? ["a", "b"] : [], seen);
    }

    [Fact]
    public void KillsAChildThatOutlivesItsTimeout()
    {
        if (!OperatingSystem.IsLinux()) return;
        var result = ChildProcess.Run("/bin/sh", ["-c", "sleep 30"], TimeSpan.FromMilliseconds(200));
        Assert.NotNull(result);
        Assert.True(result.TimedOut);
        Assert.Equal(-1, result.ExitCode);
    }

    [Fact]
    public void AProgramThatDoesNotExistGivesNull() =>
        Assert.Null(ChildProcess.Run("/nonexistent/dalign-test-program", []));
}
