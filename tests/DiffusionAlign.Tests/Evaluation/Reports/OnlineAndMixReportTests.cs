using System.Text.RegularExpressions;
using DiffusionAlign.Evaluation.Reports;
using DiffusionAlign.Mixing;
using DiffusionAlign.Training.Online;

namespace DiffusionAlign.Tests.Evaluation.Reports;

/// <summary>The page's online-alignment and policy-mixture sections, over folders in the layouts those commands write.
/// </summary>
public sealed class OnlineAndMixReportTests
{
    private static readonly DateTime When = new(2025, 3, 4, 5, 6, 0, DateTimeKind.Utc);

    /// <summary>The page from the section's heading to the next section's.</summary>
    private static string Section(string html, string id)
    {
        int start = html.IndexOf($"<h2 id=\"{id}\">", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section {id}");
        int end = html.IndexOf("<h2 ", start + 1, StringComparison.Ordinal);
        return html[start..(end < 0 ? html.Length : end)];
    }

    /// <summary>Body rows of the section's tables (a header row holds th cells).</summary>
    private static int Rows(string section) => Regex.Matches(section, "<tr(?: class=\"[^\"]*\")?><td").Count;

    private static List<string> ImageSources(string html) =>
        Regex.Matches(html, "<img\\s+src=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public void OnlineRunShowsOneRowPerRoundAndFlagsTheHackingRound()
    {
        using var dir = new TestModels.TempDir();
        string run = FakeOnlineAndMixRuns.Online(dir.Path, planned: 4, finished: 3, hacking: [2], policies: 2);
        string html = HtmlReport.Build([run], When);
        string online = Section(html, "online");

        Assert.Contains("<a href=\"#online\">online alignment</a>", html);
        Assert.Contains("<p class=\"warning\">⚠ reward hacking flagged in round 2</p>", online);
        Assert.Contains("3 of 4 rounds finished.", online);
        Assert.Equal(3, Rows(online));
        Assert.Single(Regex.Matches(online, "<tr class=\"hacking\"><td class=\"num\">2</td>"));
        Assert.Contains("<td>⚠ hacking</td></tr>", online);
        Assert.Contains("<td class=\"num\">16 (+8)</td>", online); // gold labels spent, this round's in brackets
        Assert.Contains("<td class=\"num\">0.3200 → 0.2900</td>", online); // round 2's true reward fell
        Assert.Contains("<td class=\"num\">0.0200 [0.0100, 0.0300]</td>", online); // round 1's true change
        Assert.Contains("<dt>gold budget</dt><dd>32</dd>", online);
        Assert.Contains("<dt>method</dt><dd>dpo</dd>", online);
        Assert.Contains("<dt>β</dt><dd>5000</dd>", online);
        Assert.Contains("<dt>learning rate</dt><dd>2e-05</dd>", online);
        Assert.Equal(2, ImageSources(online).Count); // true and learned change per round
        // The policies rounds left, as paths to eval; round 3 left none.
        Assert.Contains(new OnlineRunFolder(run).Policy(2), online);
        Assert.DoesNotContain(new OnlineRunFolder(run).Policy(3), online);
        // The run's training curves stay where any align run's are.
        Assert.Contains("<td>online-run</td><td class=\"num\">12</td>", Section(html, "training"));
        Assert.Matches("<td>[^<]*online\\.json[^<]*</td>", html); // the header's "found" column
    }

    [Fact]
    public void OnlineRunWithoutAFlagSaysSo()
    {
        using var dir = new TestModels.TempDir();
        string html = HtmlReport.Build(
            [FakeOnlineAndMixRuns.Online(dir.Path, planned: 2, finished: 2, hacking: [], policies: 0)], When);
        string online = Section(html, "online");

        Assert.Contains("No round flagged as reward hacking.", online);
        Assert.DoesNotContain("class=\"warning\"", online);
        Assert.DoesNotContain("class=\"hacking\"", online);
        Assert.Equal(2, Rows(online));
        Assert.Contains("No round left its policy", online);
    }

    [Fact]
    public void AnUnreadableOnlineJsonIsANoteInItsSection()
    {
        using var dir = new TestModels.TempDir();
        string run = FakeOnlineAndMixRuns.Online(dir.Path, planned: 2, finished: 1, hacking: [], policies: 1);
        File.WriteAllText(Path.Combine(run, OnlineRunFolder.SummaryFileName), "{ \"online\": ");
        string html = HtmlReport.Build([run], When);
        string online = Section(html, "online");

        Assert.Contains("Not shown:", online);
        Assert.Contains(Path.Combine(run, OnlineRunFolder.SummaryFileName), online);
        Assert.Equal(0, Rows(online));
        Assert.Contains("<td>online-run</td>", Section(html, "training")); // the rest of the run is still shown
    }

    [Fact]
    public void MixFolderShowsWeightsTheSearchTheCandidatesAndItsParetoPlot()
    {
        using var dir = new TestModels.TempDir();
        string mix = FakeOnlineAndMixRuns.Mix(dir.Path);
        string html = HtmlReport.Build([mix], When);
        string section = Section(html, "mixing");

        Assert.Contains("<a href=\"#mixing\">policy mixtures</a>", html);
        // The policies and weights from mixture.json; B's folder does not exist.
        Assert.Contains($"<td>A</td><td class=\"num\">0.625</td><td>{Path.Combine(dir.Path, "align-a")}</td>",
            section);
        Assert.Contains($"<td>{Path.Combine(dir.Path, "align-b")} (missing)</td>", section);
        Assert.Contains("Mixture weights (mirror descent): A 0.625, B 0.375.", section);
        Assert.Contains("<dt>last iterate</dt><dd>A 0.600, B 0.400</dd>", section);
        // Two steps of the search, then three candidates and the policy compared with.
        Assert.Equal(2 + 2 + 3 + 1, Rows(section));
        Assert.Contains("<td>joint</td><td>(compared, not mixed)</td>", section);
        Assert.Contains("<td class=\"num\">0.4100</td>", section); // step 1's alignment mean at w
        Assert.Contains("<tr class=\"chosen\"><td>mixture</td><td>A 0.625, B 0.375</td>", section);
        Assert.Contains("<td class=\"num\">0.4687 [0.4187, 0.5187]</td><td class=\"num\">[0.3987, 0.5387]</td>",
            section);
        Assert.Contains("<td>aesthetics: 0.4012</td>", section); // A's worst reward
        string pareto = Convert.ToBase64String(File.ReadAllBytes(Path.Combine(mix, ParetoFrontPlot.FileName)));
        Assert.Equal(["data:image/png;base64," + pareto], ImageSources(section));
        // pareto.png is the mix section's, not a sample grid.
        Assert.Contains("No run folder holds a PNG image.", Section(html, "samples"));
        Assert.Single(Regex.Matches(html, Regex.Escape(pareto)));
    }

    [Fact]
    public void MixFolderWithoutItsPlotOrManifestDrawsThePlotAndSaysWhatIsMissing()
    {
        using var dir = new TestModels.TempDir();
        string mix = FakeOnlineAndMixRuns.Mix(dir.Path, pareto: false);
        File.Delete(Path.Combine(mix, MixtureFolder.ManifestFileName));
        string section = Section(HtmlReport.Build([mix], When), "mixing");

        Assert.Contains($"{mix} is not a mixture folder: no {MixtureFolder.ManifestFileName}", section);
        Assert.Single(ImageSources(section)); // drawn from mix.json
        Assert.Contains("drawn from mix.json", section);
        Assert.Equal(2 + 3 + 1, Rows(section)); // the search, the candidates, the comparison
    }

    [Fact]
    public void AnUnreadableMixJsonIsANoteInItsSection()
    {
        using var dir = new TestModels.TempDir();
        string mix = FakeOnlineAndMixRuns.Mix(dir.Path);
        File.WriteAllText(Path.Combine(mix, MixResults.FileName), "{ \"weights\": { \"A\": 1 } }");
        string section = Section(HtmlReport.Build([mix], When), "mixing");

        Assert.Contains($"{Path.Combine(mix, MixResults.FileName)} holds no rewards", section);
        Assert.Contains("<td>A</td><td class=\"num\">0.625</td>", section); // the manifest is still shown
        Assert.Single(ImageSources(section)); // and so is pareto.png
    }
}
