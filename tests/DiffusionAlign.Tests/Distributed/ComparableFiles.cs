using System.Text.Json.Nodes;

namespace DiffusionAlign.Tests.Distributed;

/// <summary>
/// Two output folders of one experiment, made by one process and by an <c>mpirun</c> job, compared file by file:
/// bytes for weights and images, JSON without the fields that measure time.
/// </summary>
internal static class ComparableFiles
{
    /// <summary>Asserts that each file matching <paramref name="pattern"/> is the same bytes in both.</summary>
    /// <returns>How many files were compared.</returns>
    public static int AssertSameBytes(string single, string parallel, string pattern)
    {
        var files = Relative(single, pattern);
        Assert.Equal(files, Relative(parallel, pattern));
        foreach (string file in files)
            Assert.True(File.ReadAllBytes(Path.Combine(single, file))
                    .AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(parallel, file))),
                $"{file} differs");
        return files.Count;
    }

    /// <summary>
    /// The JSON file <paramref name="file"/> of a folder, with the folder's own path in strings replaced by
    /// <c>OUT</c> and every field named in <paramref name="timings"/> removed, at any depth.
    /// </summary>
    public static string WithoutTimings(string folder, string file, params string[] timings) =>
        Comparable(File.ReadAllText(Path.Combine(folder, file)), folder, timings);

    /// <summary>
    /// Asserts that every JSON-lines file matching <paramref name="pattern"/> under both folders holds the same
    /// lines once the fields named in <paramref name="timings"/> are removed.
    /// </summary>
    /// <returns>How many files were compared.</returns>
    public static int AssertSameJsonLines(string single, string parallel, string pattern, params string[] timings)
    {
        var files = Relative(single, pattern);
        Assert.Equal(files, Relative(parallel, pattern));
        foreach (string file in files)
        {
            string[] Lines(string folder) => [.. File.ReadAllLines(Path.Combine(folder, file))
                .Where(l => l.Length > 0).Select(l => Comparable(l, folder, timings))];
            Assert.Equal(Lines(single), Lines(parallel));
        }
        return files.Count;
    }

    /// <summary>
    /// The JSON <paramref name="text"/> with <paramref name="folder"/> in strings replaced by <c>OUT</c> and every
    /// field named in <paramref name="timings"/> removed, at any depth.
    /// </summary>
    public static string Comparable(string text, string folder, params string[] timings)
    {
        var json = JsonNode.Parse(text.Replace(folder, "OUT", StringComparison.Ordinal))!;
        Remove(json, timings);
        return json.ToJsonString();
    }

    private static List<string> Relative(string root, string pattern) =>
        [.. Directory.GetFiles(root, pattern, SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f))
            .Order(StringComparer.Ordinal)];

    private static void Remove(JsonNode? node, string[] names)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (string name in names) o.Remove(name);
                foreach (var (_, child) in o) Remove(child, names);
                break;
            case JsonArray a:
                foreach (var child in a) Remove(child, names);
                break;
        }
    }
}
