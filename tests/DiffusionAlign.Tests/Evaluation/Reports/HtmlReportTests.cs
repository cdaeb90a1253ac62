using System.Text.RegularExpressions;
using DiffusionAlign.Evaluation.Reports;
using DiffusionAlign.Imaging;

namespace DiffusionAlign.Tests.Evaluation.Reports;

/// <summary>The report page built from hand-written run folders: numbers, embedded images, escaping, errors.</summary>
public sealed class HtmlReportTests
{
    private static readonly DateTime When = new(2025, 3, 4, 5, 6, 0, DateTimeKind.Utc);

    private static List<string> ImageSources(string html) =>
        Regex.Matches(html, "<img\\s+src=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public void DemoFolderPageHoldsTheResultsWithIntervals()
    {
        using var dir = new TestModels.TempDir();
        string html = HtmlReport.Build([FakeRuns.Demo(dir.Path)], When);

        Assert.Contains("<h1>DiffusionAlign report</h1>", html);
        Assert.Contains("generated 2025-03-04 05:06 UTC", html);
        Assert.Contains("0.4123 [0.4000, 0.4250]", html); // mean reward with its interval
        Assert.Contains("0.625 [0.521, 0.719]", html); // win rate vs base with its interval
        Assert.Contains("96 / 58 / 4 / 34", html); // n / wins / ties / losses
        Assert.Contains("<td class=\"num\">0.610</td>", html); // ranking accuracy
        Assert.Contains("<td class=\"num\">0.580</td>", html); // implicit-reward accuracy
        Assert.Contains("dspo_vs_dpo", html);
        Assert.Contains("0.542 [0.442, 0.638]", html); // head to head
        Assert.Contains("0.0512", html); // the noise floor
        Assert.Contains("<tr class=\"baseline\"><td>base</td>", html);
        // The baseline has no implicit-reward accuracy (its r̂ is 0 by definition): a dash, not a number.
        Assert.Contains("<td class=\"num\">0.520</td><td class=\"num\">—</td></tr>", html);
        // Training: the per-method logs with their recipe read back from the saved config.
        Assert.Contains("<td>dspo</td>", html);
        Assert.Contains("<td>Dpo</td>", html); // the recipe's method, stored as a number, shown by name
        Assert.Contains("<td>sft</td>", html);
        Assert.Contains("<h3>demo/dpo</h3>", html); // the per-method model's provenance
    }

    [Fact]
    public void EveryImageIsAnEmbeddedPngAndNothingIsFetched()
    {
        using var dir = new TestModels.TempDir();
        string demo = FakeRuns.Demo(dir.Path);
        string html = HtmlReport.Build([demo, FakeRuns.AlignRun(dir.Path)], When);

        var sources = ImageSources(html);
        // samples.png, the ranking scatter, and three training panels (training.png gives way to the metrics).
        Assert.Equal(5, sources.Count);
        foreach (var src in sources)
        {
            Assert.StartsWith("data:image/png;base64,", src);
            var image = ImageCodec.Decode(Convert.FromBase64String(src["data:image/png;base64,".Length..]));
            Assert.True(image.Width > 0 && image.Height > 0);
        }
        string samples = Convert.ToBase64String(File.ReadAllBytes(Path.Combine(demo, "samples.png")));
        Assert.Contains($"data:image/png;base64,{samples}\"", html);
        Assert.DoesNotContain(Convert.ToBase64String(File.ReadAllBytes(Path.Combine(demo, "training.png"))), html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("url(", html);
        Assert.DoesNotMatch("(src|href)=\"(?!data:|#)", html);
    }

    [Fact]
    public void TextFromFilesIsEscaped()
    {
        using var dir = new TestModels.TempDir();
        const string evil = "<script>alert(\"x\")</script>&";
        var results = FakeRuns.Results(dspoName: evil) with
        {
            Settings = new() { ["note"] = "<b>bold</b> & \"quoted\"" },
        };
        string html = HtmlReport.Build([FakeRuns.Demo(dir.Path, results)], When);

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<b>bold", html);
        Assert.Contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;", html);
        Assert.Contains("&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;", html);
    }

    [Fact]
    public void UnknownKeysAreShownAndMissingKeysTolerated()
    {
        using var dir = new TestModels.TempDir();
        string eval = Path.Combine(dir.Path, "eval");
        Directory.CreateDirectory(eval);
        File.WriteAllText(Path.Combine(eval, "results.json"), """
            {
              "baseline": "base",
              "models": { "base": { "mean_reward": 0.35 }, "dpo": { "mean_reward": 0.41, "n": 96,
                          "mean_reward_cluster_ci_low": 0.371 } },
              "win_rate": { "dpo": { "rate": 0.61, "ci_low": 0.5, "ci_high": 0.7, "cluster_ci_low": 0.47 } },
              "ranking_accuracy": { "base": 0.5, "dpo": "NaN" },
              "second_judge": { "dpo": { "vs": "base", "rate": 0.73, "n": 40 } },
              "study_table": [ { "beta": 500, "rate": 0.58 }, { "beta": 2500, "rate": 0.64, "extra": [1, 2] } ],
              "judge_name": "pickscore",
              "nested": [[1, 2], { "a": null }],
              "held_out_pairs": "not a number",
              "huge": 1e400,
            }
            """);
        string html = HtmlReport.Build([Path.Combine(eval, "results.json")], When);

        Assert.Contains("0.4100", html); // a mean reward without an interval
        Assert.Contains("0.610 [0.500, 0.700]", html);
        Assert.Contains("mean_reward_cluster_ci_low=0.371", html);
        Assert.Contains("cluster_ci_low=0.47", html);
        Assert.Contains("<h4>second_judge</h4>", html);
        Assert.Contains("<td class=\"num\">0.73</td>", html);
        Assert.Contains("<h4>study_table</h4>", html);
        Assert.Contains("<td class=\"num\">2500</td>", html);
        Assert.Contains("<dt>judge_name</dt><dd>pickscore</dd>", html);
        Assert.Contains("<h4>nested</h4>", html);
        Assert.Contains("<dt>held_out_pairs</dt><dd>not a number</dd>", html); // a known key of another type
        Assert.Contains("<dt>huge</dt>", html); // beyond double's range, and no reason to fail
        Assert.Contains("NaN", html); // a ranking value of another type is shown as written
    }

    [Fact]
    public void ClusteredIntervalsAndASecondJudgeAreShown()
    {
        using var dir = new TestModels.TempDir();
        const string bootstrap = "prompt-clustered bootstrap: prompts then noises, 2000 resamples, percentile";
        File.WriteAllText(Path.Combine(dir.Path, "results.json"), $$"""
            {
              "baseline": "base",
              "models": {
                "base": { "mean_reward": 0.33, "mean_reward_ci_low": 0.13, "mean_reward_ci_high": 0.53,
                          "ci_method": "t", "clustered_ci_low": 0.143, "clustered_ci_high": 0.518,
                          "clustered_ci_method": "{{bootstrap}}", "prompts": 4 },
                "dpo": { "mean_reward": 0.36, "mean_reward_ci_low": 0.14, "mean_reward_ci_high": 0.57,
                         "ci_method": "t", "clustered_ci_low": 0.152, "clustered_ci_high": 0.554,
                         "clustered_ci_method": "{{bootstrap}}", "prompts": 4 }
              },
              "win_rate": { "dpo": { "vs": "base", "rate": 0.875, "ci_low": 0.529, "ci_high": 0.978, "n": 8,
                                     "wins": 6, "ties": 2, "losses": 0, "ci_method": "wilson",
                                     "clustered_ci_low": 0.625, "clustered_ci_high": 1,
                                     "clustered_ci_method": "{{bootstrap}}", "prompts": 4 } },
              "head_to_head": {},
              "ranking_accuracy": { "base": 0.44, "dpo": 0.5 },
              "idealized_ranking_accuracy": null,
              "judge": {
                "models": { "base": { "mean_score": 0.128, "ci_method": "t" },
                            "dpo": { "mean_score": 0.167, "ci_method": "t" } },
                "win_rate": { "dpo": { "vs": "base", "rate": 0.75, "clustered_ci_method": "{{bootstrap}}" } },
                "resolution": 0.0025
              },
              "judge_disagreements": [ { "key": "dpo", "reward_verdict": "dpo wins",
                                         "judge_verdict": "no clear winner" } ]
            }
            """);
        string html = HtmlReport.Build([dir.Path], When);

        Assert.Contains("<td class=\"num\">[0.1520, 0.5540]</td>", html); // the mean reward's clustered interval
        Assert.Contains("<td class=\"num\">[0.625, 1.000]</td>", html); // the win rate's
        Assert.Contains("Win rate: wilson; clustered: " + bootstrap, html);
        Assert.Contains("<td>prompts=4</td>", html); // one mention, not one per section of the row
        Assert.Contains("<h4>judge</h4>", html);
        Assert.Contains("<h5>judge.models</h5>", html);
        Assert.Contains("<td class=\"num\">0.167</td>", html);
        Assert.Contains("<dt>ci_method</dt><dd>t</dd>", html); // said once under the table, not in each row
        Assert.Contains("no clear winner", html);
        Assert.DoesNotContain("idealized", html);
    }

    [Fact]
    public void AlignRunShowsCurvesCheckpointAndSurvivesABrokenLogLine()
    {
        using var dir = new TestModels.TempDir();
        string run = FakeRuns.AlignRun(dir.Path);
        File.AppendAllText(Path.Combine(run, "metrics.jsonl"),
            "{\"step\":21,\"loss\":\"NaN\",\"implicit_acc\":1e400,\"skipped_nonfinite_steps\":1}\n{\"step\":22,\"lo");
        string html = HtmlReport.Build([run + Path.DirectorySeparatorChar], When);

        Assert.Equal(3, ImageSources(html).Count); // loss, implicit accuracy, winner/loser errors
        Assert.Contains("<td>align-dpo</td><td class=\"num\">21</td><td class=\"num\">20</td>", html);
        Assert.Contains("1 unreadable line(s) skipped", html);
        Assert.Contains("dalign align --method dpo --out align-dpo", html);
        Assert.Contains("No run holds a results.json.", html);
    }

    [Fact]
    public void MissingFolderIsAOneLineErrorNamingIt()
    {
        string missing = Path.Combine(Path.GetTempPath(), "dalign-no-such-run-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<DiffusionAlignException>(() => HtmlReport.Build([missing]));
        Assert.Contains(missing, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void FolderWithNothingToReportIsAnError()
    {
        using var dir = new TestModels.TempDir();
        var e = Assert.Throws<DiffusionAlignException>(() => HtmlReport.Build([dir.Path]));
        Assert.Contains(dir.Path, e.Message);
    }

    [Theory]
    [InlineData("{ \"models\": ")]
    [InlineData("{ \"baseline\": \"a\", \"baseline\": \"b\" }")]
    [InlineData("[1, 2]")]
    public void UnreadableResultsJsonIsAnErrorNamingIt(string text)
    {
        using var dir = new TestModels.TempDir();
        string file = Path.Combine(dir.Path, "results.json");
        File.WriteAllText(file, text);
        var e = Assert.Throws<DiffusionAlignException>(() => HtmlReport.Build([dir.Path]));
        Assert.Contains(file, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ManyRunsArePlottedTogetherWithDistinctNames()
    {
        using var dir = new TestModels.TempDir();
        string a = FakeRuns.Demo(Path.Combine(dir.Path, "a"));
        string b = FakeRuns.Demo(Path.Combine(dir.Path, "b"));
        string html = HtmlReport.Build([a, b], When);

        Assert.Contains("<h3>a/demo</h3>", html);
        Assert.Contains("<h3>b/demo</h3>", html);
        Assert.Contains("<td>a/demo/dspo</td>", html);
        Assert.Contains("<td>b/demo/dspo</td>", html);
    }

    [Fact]
    public void WriteReplacesTheFileWhole()
    {
        using var dir = new TestModels.TempDir();
        string out_ = Path.Combine(dir.Path, "out", "report.html");
        HtmlReport.Write([FakeRuns.Demo(dir.Path)], out_);
        string html = File.ReadAllText(out_);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.EndsWith("</html>\n", html);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(out_)!));
    }
}
