// mix.json read back: what mix wrote comes back whole, NaN intervals included; a file without its tables is refused.
using DiffusionAlign.Mixing;
using DiffusionAlign.Tests.Evaluation.Reports;

namespace DiffusionAlign.Tests.Mixing;

public sealed class MixResultsTests
{
    [Fact]
    public void LoadReadsBackWhatSaveWrote()
    {
        using var dir = new TestModels.TempDir();
        string path = Path.Combine(dir.Path, MixResults.FileName);
        var written = FakeOnlineAndMixRuns.Results();
        // A single sample's t interval is NaN, written as the literal.
        written.Candidates[0].Rewards["alignment"] = written.Candidates[0].Rewards["alignment"] with
        {
            CiLow = double.NaN, CiHigh = double.NaN,
        };
        written.Save(path);

        var read = MixResults.Load(path);
        Assert.Equal(written.ToJson(), read.ToJson());
        Assert.Equal("mirror descent", read.WeightsSource);
        Assert.Equal(2, read.MirrorDescent!.Steps.Count);
        Assert.True(double.IsNaN(read.Candidates[0].Rewards["alignment"].CiLow));
    }

    [Theory]
    [InlineData("{ \"weights\": ", "is not a valid mix.json")]
    [InlineData("{ \"weights\": { \"A\": 1 }, \"rewards\": [\"true\"] }", "holds no candidates")]
    [InlineData("null", "holds no content")]
    public void LoadRefusesAFileWithoutItsTablesNamingIt(string text, string expected)
    {
        using var dir = new TestModels.TempDir();
        string path = Path.Combine(dir.Path, MixResults.FileName);
        File.WriteAllText(path, text);
        var e = Assert.Throws<DiffusionAlignException>(() => MixResults.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
