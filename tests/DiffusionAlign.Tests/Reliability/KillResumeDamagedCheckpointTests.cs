using Xunit.Abstractions;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// A newest checkpoint damaged after it was written (a truncated copy, a flipped bit) is caught on --resume by
/// its manifest: the run names it in one warning, continues from the checkpoint before it, and still ends with
/// the uninterrupted run's weights bit for bit.
/// </summary>
[Collection(KillResumeCollection.Name)]
public sealed class KillResumeDamagedCheckpointTests(KillResumeFixture fixture, ITestOutputHelper output)
{
    [Theory]
    [InlineData("truncated")]
    [InlineData("tampered")]
    public void DamagedNewestCheckpointIsSkippedWithOneWarning(string damage)
    {
        const int steps = KillResumeFixture.AlignSteps;
        var reference = fixture.Reference("align-dpo", outDir => fixture.AlignArgs("dpo", outDir));
        string outDir = Path.Combine(fixture.NewFolder("damaged-" + damage), "out");
        Copy(reference.Out, outDir);
        // Without its model the run must train again to finish, from the checkpoint before the damaged one.
        File.Delete(Path.Combine(outDir, "model.safetensors"));
        string newest = $"step-{steps:D6}";
        string state = Path.Combine(KillResumeFolder.Checkpoint(outDir), newest, "state.safetensors");
        Damage(state, damage);

        using var child = KillResumeChild.Start([.. fixture.AlignArgs("dpo", outDir), "--resume"]);
        child.WaitForExit();
        output.WriteLine(child.Stderr);

        Assert.True(child.ExitCode == 0, child.Stderr);
        var warnings = child.Stderr.Split('\n').Where(l => l.StartsWith("warning:")).ToList();
        Assert.Contains(newest, Assert.Single(warnings));
        Assert.Null(KillResumeCompare.Runs(reference.Out, outDir, steps, hasMetrics: true));
    }

    private static void Damage(string path, string how)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        if (how == "truncated")
        {
            file.SetLength(file.Length / 2);
            return;
        }
        // One bit in the last byte, inside the tensor data: same size, so only the SHA-256 can tell.
        file.Position = file.Length - 1;
        int b = file.ReadByte();
        file.Position = file.Length - 1;
        file.WriteByte((byte)(b ^ 1));
    }

    private static void Copy(string from, string to)
    {
        foreach (string dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
    }
}
