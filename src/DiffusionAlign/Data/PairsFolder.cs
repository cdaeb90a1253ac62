using System.Text.Encodings.Web;
using System.Text.Json;
using DiffusionAlign.Imaging;
using DiffusionAlign.IO;

namespace DiffusionAlign.Data;

/// <summary>
/// The project's own pair format: a folder holding <c>pairs.jsonl</c>, one JSON object per line
/// (<c>prompt</c>, <c>winner</c>, <c>loser</c> as PNG paths relative to the folder, optional
/// <c>p_winner</c>), and the PNGs under <c>images/</c>. Plain files, so pairs can be inspected,
/// hand-edited and produced by any tool.
/// </summary>
public static class PairsFolder
{
    public const string PairsFileName = "pairs.jsonl";

    public const string ImagesFolderName = "images";

    private static readonly JsonWriterOptions LineOptions =
        new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Writes the pairs as <c>dir/pairs.jsonl</c> plus <c>dir/images/000001_w.png</c>, <c>000001_l.png</c>, ...
    /// Every file is written to a temporary name and renamed into place, and pairs.jsonl last, so a crash
    /// leaves either the previous complete folder or the new one, never a truncated pairs.jsonl.
    /// </summary>
    /// <returns>The number of pairs written.</returns>
    public static int Write(string dir, IEnumerable<PreferencePair> pairs)
    {
        ArgumentNullException.ThrowIfNull(dir);
        ArgumentNullException.ThrowIfNull(pairs);
        Directory.CreateDirectory(Path.Combine(dir, ImagesFolderName));
        string jsonlPath = Path.Combine(dir, PairsFileName);
        string tempPath = jsonlPath + ".tmp";
        int count = 0;
        using (var stream = new FileStream(tempPath, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            foreach (var pair in pairs)
            {
                count++;
                string winner = $"{ImagesFolderName}/{count:D6}_w.png";
                string loser = $"{ImagesFolderName}/{count:D6}_l.png";
                WriteAtomically(Path.Combine(dir, winner), ImageCodec.EncodePng(pair.Winner));
                WriteAtomically(Path.Combine(dir, loser), ImageCodec.EncodePng(pair.Loser));
                using (var json = new Utf8JsonWriter(stream, LineOptions))
                {
                    json.WriteStartObject();
                    json.WriteString("prompt", pair.Prompt);
                    json.WriteString("winner", winner);
                    json.WriteString("loser", loser);
                    if (pair.PWinner is double p) json.WriteNumber("p_winner", p);
                    json.WriteEndObject();
                }
                stream.WriteByte((byte)'\n');
            }
            stream.Flush(flushToDisk: true);
        }
        // The images' names must be on disk before the list that points at them.
        DirectorySync.Flush(Path.Combine(dir, ImagesFolderName));
        File.Move(tempPath, jsonlPath, overwrite: true);
        DirectorySync.Flush(dir);
        return count;
    }

    /// <summary>
    /// Reads a pairs folder (or its pairs.jsonl directly). Image paths are relative to the jsonl's folder.
    /// Rows with a malformed line, a missing field, a missing or undecodable image or a p_winner outside
    /// [0, 1] are skipped and counted in the report. With <paramref name="resizeTo"/>, images are
    /// center-cropped to a square and resized (<see cref="ImageResize.ToSquare"/>); without it, all images
    /// must match the first pair's size and other sizes are skipped. With <paramref name="checkPrompt"/>
    /// (e.g. <see cref="PreferenceData.PromptCheck"/>), a row whose prompt it gives a skip reason for is skipped
    /// under that reason before its images are read, so a prompt the model cannot encode is found now rather
    /// than when a training batch first draws it.
    /// </summary>
    /// <exception cref="DiffusionAlignException">The path does not exist or yields no usable pair.</exception>
    public static (PreferenceDataset Dataset, LoadReport Report) Read(
        string dirOrJsonlPath, int? resizeTo = null, Func<string, string?>? checkPrompt = null)
    {
        ArgumentNullException.ThrowIfNull(dirOrJsonlPath);
        if (resizeTo is <= 0)
            throw new ArgumentOutOfRangeException(nameof(resizeTo), resizeTo, "resize target must be positive");
        string jsonlPath = Directory.Exists(dirOrJsonlPath)
            ? Path.Combine(dirOrJsonlPath, PairsFileName)
            : dirOrJsonlPath;
        if (!File.Exists(jsonlPath)) throw new DiffusionAlignException($"preference pairs not found: {jsonlPath}");
        string baseDir = Path.GetDirectoryName(Path.GetFullPath(jsonlPath))!;

        var tally = new LoadTally(jsonlPath);
        var pairs = new List<PreferencePair>();
        (int Width, int Height)? size = resizeTo is int s ? (s, s) : null;
        int lineNumber = 0;
        IEnumerable<string> lines;
        try
        {
            lines = File.ReadLines(jsonlPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DiffusionAlignException($"cannot read preference pairs {jsonlPath}: {e.Message}", e);
        }
        foreach (string line in lines)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            tally.Row();
            string where = $"line {lineNumber}";
            var pair = ReadLine(line, baseDir, resizeTo, checkPrompt, where, tally);
            if (pair is null) continue;
            if (size is null) size = (pair.Winner.Width, pair.Winner.Height);
            if ((pair.Winner.Width, pair.Winner.Height) != size || (pair.Loser.Width, pair.Loser.Height) != size)
            {
                tally.Skip(SkipReason.SizeMismatch, where, $"expected {size.Value.Width}x{size.Value.Height}");
                continue;
            }
            pairs.Add(pair);
            tally.Kept();
        }

        var report = tally.ToReport();
        if (pairs.Count == 0)
            throw new DiffusionAlignException(
                $"no usable preference pairs in {jsonlPath} ({report.RowsRead} rows read"
                + $"{(report.BadRowsSkipped > 0 ? ": " + report.ReasonSummary : "")})");
        return (new PreferenceDataset(pairs), report);
    }

    /// <summary>One jsonl line to a pair, or null (after recording why) if the row is unusable.</summary>
    private static PreferencePair? ReadLine(
        string line, string baseDir, int? resizeTo, Func<string, string?>? checkPrompt, string where, LoadTally tally)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            tally.Skip(SkipReason.MalformedLine, where);
            return null;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                tally.Skip(SkipReason.MalformedLine, where, "not a JSON object");
                return null;
            }
            string? prompt, winnerPath, loserPath;
            try
            {
                (prompt, winnerPath, loserPath) =
                    (StringField(root, "prompt"), StringField(root, "winner"), StringField(root, "loser"));
            }
            catch (InvalidOperationException)
            {
                // An escaped lone surrogate ("\ud800") is valid JSON but no .NET string: reading it throws.
                tally.Skip(SkipReason.MalformedLine, where, "a string that is not valid Unicode");
                return null;
            }
            if (prompt is null) return Missing("prompt");
            if (winnerPath is null) return Missing("winner");
            if (loserPath is null) return Missing("loser");

            double? pWinner = null;
            if (root.TryGetProperty("p_winner", out var p) && p.ValueKind != JsonValueKind.Null)
            {
                if (p.ValueKind != JsonValueKind.Number
                    || !p.TryGetDouble(out double value)
                    || !(value >= 0 && value <= 1))
                {
                    tally.Skip(SkipReason.BadLabel, where, $"p_winner {p.GetRawText()}");
                    return null;
                }
                pWinner = value;
            }

            if (checkPrompt?.Invoke(prompt) is string problem)
            {
                tally.Skip(problem, where, $"'{prompt}'");
                return null;
            }

            var winner = LoadImage(winnerPath, baseDir, resizeTo, where, tally);
            if (winner is null) return null;
            var loser = LoadImage(loserPath, baseDir, resizeTo, where, tally);
            if (loser is null) return null;
            return new PreferencePair(prompt, winner, loser, pWinner);
        }

        PreferencePair? Missing(string field)
        {
            tally.Skip(SkipReason.MissingField, where, field);
            return null;
        }
    }

    private static string? StringField(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static RgbImage? LoadImage(
        string relativePath, string baseDir, int? resizeTo, string where, LoadTally tally)
    {
        string path = Path.Combine(baseDir, relativePath);
        byte[] bytes;
        try
        {
            // A device or pipe (/dev/zero, a FIFO) has no length and never ends, or never opens; an image file has
            // a length, so a path without one is not read.
            var file = new FileInfo(path);
            if (!file.Exists)
            {
                tally.Skip(SkipReason.MissingFile, where, relativePath);
                return null;
            }
            if (file.Length == 0)
            {
                tally.Skip(SkipReason.UndecodableImage, where, relativePath);
                return null;
            }
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e)
            when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            tally.Skip(SkipReason.MissingFile, where, relativePath);
            return null;
        }
        try
        {
            var image = ImageCodec.Decode(bytes, relativePath);
            return resizeTo is int size ? ImageResize.ToSquare(image, size) : image;
        }
        catch (DiffusionAlignException)
        {
            tally.Skip(SkipReason.UndecodableImage, where, relativePath);
            return null;
        }
    }

    // Flushed file by file, the folder once at the end (Write): a crash leaves no image the list names half-written.
    private static void WriteAtomically(string path, byte[] bytes)
    {
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
