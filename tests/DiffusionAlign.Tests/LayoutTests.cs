namespace DiffusionAlign.Tests;

/// <summary>
/// The dependency rules of the tree, checked on the sources: the core library neither benchmarks
/// nor tunes the process, and the pipeline does not know the embedded world.
/// </summary>
public sealed class LayoutTests
{
    private static string? CoreLibrary()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "src", "DiffusionAlign");
            if (File.Exists(Path.Combine(candidate, "DiffusionAlign.csproj"))) return candidate;
        }
        return null;
    }

    private static IEnumerable<(string File, int Line, string Text)> Lines(string folder) =>
        Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(f => File.ReadLines(f).Select((text, i) => (f, i + 1, text)));

    [Fact]
    public void TheCoreLibraryHoldsNoBenchmarkOrProcessTuning()
    {
        string? core = CoreLibrary();
        Assert.True(core is not null, "the tests run from the repository, beside src/DiffusionAlign");
        string[] banned = ["/proc/", "mallopt", "malloc_trim", "python", "Benchmark", "Stopwatch.GetTimestamp"];
        var hits = Lines(core!)
            .Where(l => banned.Any(b => l.Text.Contains(b, StringComparison.OrdinalIgnoreCase)))
            .Select(l => $"{Path.GetRelativePath(core!, l.File)}:{l.Line}: {l.Text.Trim()}")
            .ToList();
        Assert.True(hits.Count == 0, string.Join("\n", hits));
    }

    [Fact]
    public void PipelinesDoNotDependOnTheShapesWorld()
    {
        string? core = CoreLibrary();
        Assert.True(core is not null, "the tests run from the repository, beside src/DiffusionAlign");
        var hits = Lines(Path.Combine(core!, "Pipelines"))
            // "Shapes" as a word: CheckpointShapes and ReadShapes are tensor shapes, not the world.
            .Where(l => l.Text.Contains("Worlds", StringComparison.Ordinal)
                || System.Text.RegularExpressions.Regex.IsMatch(l.Text, @"\bShapes"))
            .Select(l => $"{Path.GetFileName(l.File)}:{l.Line}: {l.Text.Trim()}")
            .ToList();
        Assert.True(hits.Count == 0, string.Join("\n", hits));
    }
}
