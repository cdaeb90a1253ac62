using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using DiffusionAlign.Evaluation.Reports;
using DiffusionAlign.Imaging;
using Xunit.Abstractions;

namespace DiffusionAlign.Tests.Evaluation.Reports;

/// <summary>A fact that needs Debian's headless <c>chromium</c>, skipped with the reason where it is absent.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (HeadlessChromium.Find() is null)
            Skip = "chromium not found on PATH: the render check needs Debian's chromium (apt-get install chromium)";
    }
}

/// <summary>Runs the <c>chromium</c> binary headless with a deadline, killing it if it hangs.</summary>
public static class HeadlessChromium
{
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, "chromium"))
        .FirstOrDefault(File.Exists);

    /// <summary>Runs chromium on <paramref name="page"/> with the given flags; returns its stdout.</summary>
    public static string Run(string page, TimeSpan timeout, params string[] flags)
    {
        string profile = Path.Combine(Path.GetTempPath(), "dalign-chromium-" + Guid.NewGuid().ToString("N"));
        var start = new ProcessStartInfo(Find()!)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        // A profile of its own: parallel runs must not share one, nor leave state in the user's.
        foreach (var flag in new[]
                 {
                     "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                     "--user-data-dir=" + profile,
                 }.Concat(flags))
            start.ArgumentList.Add(flag);
        start.ArgumentList.Add(new Uri(page).AbsoluteUri);
        try
        {
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                Assert.Fail($"chromium did not finish within {timeout.TotalSeconds:F0} s; killed");
            }
            process.WaitForExit(); // drains the redirected streams
            Assert.True(process.ExitCode == 0, $"chromium exited {process.ExitCode}: {stderr.Result}");
            return stdout.Result;
        }
        finally
        {
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
                // A helper process may still hold a file a moment longer; the temp folder is cleaned eventually.
            }
        }
    }
}

/// <summary>
/// The page as a browser sees it: no script error, no blocked resource, every image decoded, and a
/// screenshot to look at.
/// </summary>
public sealed class ChromiumReportTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(25);

    /// <summary>
    /// Injected ahead of the page's content (and its content security policy, which binds only what follows
    /// it): counts script errors, console errors, failed resources and policy violations, and on load writes
    /// them with every image's decoded width into the DOM that --dump-dom prints.
    /// </summary>
    private const string Probe = """
        <script>
        (function () {
          var errors = [];
          window.onerror = function (message) { errors.push('error: ' + message); };
          window.addEventListener('error', function (e) {
            if (e.target && e.target !== window) errors.push('resource: ' + e.target.tagName);
          }, true);
          document.addEventListener('securitypolicyviolation', function (e) {
            errors.push('csp: ' + e.violatedDirective + ' ' + e.blockedURI);
          });
          var original = console.error;
          console.error = function () {
            errors.push('console: ' + Array.prototype.join.call(arguments, ' '));
            original.apply(console, arguments);
          };
          window.addEventListener('load', function () {
            var widths = Array.prototype.map.call(document.images, function (img) { return img.naturalWidth; });
            var out = document.createElement('pre');
            out.id = 'render-check';
            out.textContent = JSON.stringify({ errors: errors.length, messages: errors, widths: widths });
            document.body.appendChild(out);
          });
        })();
        </script>
        """;

    [ChromiumFact]
    public void PageRendersWithoutErrorsAndEveryImageDecodes()
    {
        using var dir = new TestModels.TempDir();
        string page = Path.Combine(dir.Path, "report.html");
        HtmlReport.Write([FakeRuns.Demo(dir.Path), FakeRuns.AlignRun(dir.Path),
            FakeOnlineAndMixRuns.Online(dir.Path, planned: 3, finished: 3, hacking: [2], policies: 3),
            FakeOnlineAndMixRuns.Mix(dir.Path)], page);
        string html = File.ReadAllText(page);
        int expectedImages = Regex.Matches(html, "<img ").Count;
        string probed = Path.Combine(dir.Path, "report-probed.html");
        int head = html.IndexOf("<head>", StringComparison.Ordinal);
        Assert.True(head >= 0);
        File.WriteAllText(probed, html.Insert(head + "<head>".Length, "\n" + Probe));

        var clock = Stopwatch.StartNew();
        string dom = HeadlessChromium.Run(probed, Deadline, "--virtual-time-budget=10000", "--dump-dom");
        var check = Regex.Match(dom, "<pre id=\"render-check\">(.*?)</pre>", RegexOptions.Singleline);
        Assert.True(check.Success, "the probe wrote nothing: the load handler did not run");
        using var result = JsonDocument.Parse(WebUtility.HtmlDecode(check.Groups[1].Value));
        var messages = result.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetString());
        Assert.True(result.RootElement.GetProperty("errors").GetInt32() == 0, string.Join("\n", messages));
        var widths = result.RootElement.GetProperty("widths").EnumerateArray().Select(w => w.GetInt32()).ToList();
        Assert.Equal(expectedImages, widths.Count);
        Assert.All(widths, w => Assert.True(w > 0, $"an image did not decode: widths {string.Join(", ", widths)}"));

        string screenshot = Path.Combine(AppContext.BaseDirectory, "report-screenshot.png");
        if (File.Exists(screenshot)) File.Delete(screenshot);
        HeadlessChromium.Run(page, Deadline, "--screenshot=" + screenshot, "--window-size=1280,2400");
        var shot = ImageCodec.Load(screenshot);
        Assert.Equal((1280, 2400), (shot.Width, shot.Height));
        output.WriteLine($"screenshot: {screenshot} (chromium took {clock.Elapsed.TotalSeconds:F1} s)");
    }
}
