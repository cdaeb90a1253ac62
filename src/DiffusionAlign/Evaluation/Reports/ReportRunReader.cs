using System.Text.Json;
using System.Text.Json.Nodes;
using DiffusionAlign.Imaging;
using DiffusionAlign.Objectives;
using DiffusionAlign.Pipelines;
using DiffusionAlign.Training;

namespace DiffusionAlign.Evaluation.Reports;

/// <summary>
/// Reads what a report can show from a run: an <c>align</c> output folder (metrics.jsonl, checkpoint/, the model's
/// config.json or dalign_run.json; with <c>--online</c> also online.json), a <c>demo</c> folder (results.json, PNGs,
/// models/NAME/metrics.jsonl), an <c>eval</c> output (its results.json, or the folder holding it), a <c>study</c>
/// folder (study.json) or a <c>mix</c> folder (mixture.json, mix.json, pareto.png).
/// </summary>
internal static class ReportRunReader
{
    public const string ResultsFileName = "results.json";
    public const string MetricsFileName = "metrics.jsonl";
    private const string CheckpointFolderName = "checkpoint";
    private const string StepPrefix = "step-";

    /// <summary>Files read by sections of their own: <see cref="StudySection"/>, <see cref="OnlineSection"/>,
    /// <see cref="MixSection"/>.</summary>
    private static readonly string[] SectionFiles =
        [StudySection.FileName, OnlineSection.FileName, .. MixSection.FileNames];

    /// <summary>Larger images are left out: a page of hundreds of megabytes helps no one judge a run.</summary>
    private const long MaxImageBytes = 32L << 20;

    /// <exception cref="DiffusionAlignException">
    /// The path is missing, unreadable or holds nothing to report.
    /// </exception>
    public static ReportRun Read(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new DiffusionAlignException("a run path is empty");
        try
        {
            return ReadChecked(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DiffusionAlignException($"run {path} cannot be read: {OneLine(e.Message)}", e);
        }
    }

    private static ReportRun ReadChecked(string path)
    {
        // No trailing separator: folders found inside are compared with it as GetDirectoryName returns them.
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (File.Exists(full))
        {
            if (!full.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                throw new DiffusionAlignException($"run {path} is a file; give a run folder or a results.json");
            string parent = Path.GetDirectoryName(full)!;
            string name = Path.GetFileName(full) == ResultsFileName
                ? Path.GetFileName(parent)
                : Path.GetFileNameWithoutExtension(full);
            return new ReportRun(name, full, ReadResults(full), full, [], [], [], [], File.GetLastWriteTimeUtc(full));
        }
        if (!Directory.Exists(full)) throw new DiffusionAlignException($"run folder {path} does not exist");

        string runName = Path.GetFileName(full);
        var written = new List<DateTime>();
        var notes = new List<string>();
        string resultsPath = Path.Combine(full, ResultsFileName);
        ResultsView? results = null;
        if (File.Exists(resultsPath))
        {
            results = ReadResults(resultsPath);
            written.Add(File.GetLastWriteTimeUtc(resultsPath));
        }
        var training = ReadTrainingLogs(full, runName, notes);
        if (results is not null)
        {
            // A demo's per-method logs in the results table's model order, so both list models alike.
            var order = results.Models.Select(m => m.Name).ToList();
            training = training.OrderBy(t => Path.GetDirectoryName(t.MetricsPath) == full ? -1
                : order.IndexOf(t.Label) is int i and >= 0 ? i : order.Count).ToList();
        }
        written.AddRange(training.Select(t => File.GetLastWriteTimeUtc(t.MetricsPath)));
        var images = ReadImages(full, keepTrainingPlot: training.Count == 0, notes);
        written.AddRange(images.Select(i => File.GetLastWriteTimeUtc(Path.Combine(full, i.RelativePath))));
        // Study, online and mix folders keep their tables in files of their own, which their sections read.
        foreach (string file in SectionFiles.Select(f => Path.Combine(full, f)).Where(File.Exists))
            written.Add(File.GetLastWriteTimeUtc(file));
        if (results is null && training.Count == 0 && images.Count == 0 && written.Count == 0)
            throw new DiffusionAlignException(
                $"run folder {path} holds no {ResultsFileName}, {MetricsFileName} or PNG image to report on");
        var (provenance, _) = ReadProvenance(full);
        return new ReportRun(runName, full, results, results is null ? null : resultsPath, training, images,
            provenance, notes, written.Count == 0 ? Directory.GetLastWriteTimeUtc(full) : written.Max());
    }

    private static ResultsView ReadResults(string file)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(file), documentOptions: JsonRead.Lenient);
            Visit(root); // objects build their dictionaries lazily: a duplicate key must fail here, not mid-page
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            throw new DiffusionAlignException($"{file} is not valid JSON: {OneLine(e.Message)}", e);
        }
        return root is JsonObject obj
            ? ResultsView.From(obj)
            : throw new DiffusionAlignException($"{file} is not a results.json (its top level is not an object)");
    }

    private static void Visit(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, child) in o) Visit(child);
                break;
            case JsonArray a:
                foreach (var child in a) Visit(child);
                break;
        }
    }

    /// <summary>The run's own metrics.jsonl, then those of its subfolders (a demo's models/NAME/).</summary>
    private static List<TrainingLog> ReadTrainingLogs(string dir, string runName, List<string> notes)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true, MaxRecursionDepth = 2, IgnoreInaccessible = true,
            MatchCasing = MatchCasing.CaseSensitive,
        };
        var files = Directory.EnumerateFiles(dir, MetricsFileName, options)
            .OrderBy(f => Path.GetDirectoryName(f) == dir ? 0 : 1)
            .ThenBy(f => Path.GetDirectoryName(f), StringComparer.Ordinal)
            .ToList();
        var logs = new List<TrainingLog>();
        foreach (var file in files)
        {
            string folder = Path.GetDirectoryName(file)!;
            string label = folder == dir ? runName : Path.GetFileName(folder);
            if (logs.Any(l => l.Label == label)) label = Path.GetRelativePath(dir, folder);
            var summary = MetricsLogSummary.Read(file);
            if (summary.BadLines > 0)
                notes.Add($"{Path.GetRelativePath(dir, file)}: {summary.BadLines} unreadable line(s) skipped");
            var (provenance, recipe) = ReadProvenance(folder);
            logs.Add(new TrainingLog(label, file, summary, CheckpointStep(folder), recipe, provenance));
        }
        return logs;
    }

    /// <summary>The newest finished checkpoint's step, from its folder name (checkpoint/step-N).</summary>
    private static int? CheckpointStep(string folder)
    {
        string root = Path.Combine(folder, CheckpointFolderName);
        if (!Directory.Exists(root)) return null;
        int? best = null;
        foreach (var d in Directory.EnumerateDirectories(root, StepPrefix + "*"))
            if (int.TryParse(Path.GetFileName(d)[StepPrefix.Length..], out int step) && step > (best ?? -1))
                best = step;
        return best;
    }

    /// <summary>
    /// The provenance a saved model carries (config.json of a pixel model, dalign_run.json of adapters or a
    /// diffusers folder): its scalar entries, and the training recipe's scalar settings.
    /// </summary>
    private static (List<Field> Provenance, List<Field> Recipe) ReadProvenance(string folder)
    {
        var provenance = new List<Field>();
        var recipe = new List<Field>();
        foreach (var file in new[] { AlignmentRunFolder.NoteFileName, TextToImageModel.ConfigFileName })
        {
            string path = Path.Combine(folder, file);
            if (!File.Exists(path)) continue;
            JsonObject? entries;
            try
            {
                entries = JsonNode.Parse(File.ReadAllText(path), documentOptions: JsonRead.Lenient)?["provenance"]
                    as JsonObject;
            }
            catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
            {
                continue; // provenance is a nicety; the model file's own reader reports a broken one
            }
            if (entries is null) continue;
            foreach (var (key, value) in entries)
            {
                if (key == "recipe" && JsonRead.Text(value) is string json) recipe.AddRange(RecipeFields(json));
                else if (JsonRead.IsScalar(value)) provenance.Add(new Field(key, JsonRead.Scalar(value)));
            }
            break;
        }
        return (provenance, recipe);
    }

    private static IEnumerable<Field> RecipeFields(string json)
    {
        JsonObject? recipe;
        try
        {
            recipe = JsonNode.Parse(json, documentOptions: JsonRead.Lenient) as JsonObject;
            Visit(recipe);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            return [];
        }
        return recipe?.Where(kv => kv.Value is not null)
            .Select(kv => new Field(kv.Key, RecipeValue(kv.Key, kv.Value!)))
            .ToList() ?? [];
    }

    /// <summary>A recipe value as text; the recipe is serialized with enums as numbers, shown here by name.</summary>
    private static string RecipeValue(string key, JsonNode value)
    {
        Type? enumType = key switch
        {
            nameof(AlignConfig.Method) => typeof(AlignMethod),
            nameof(AlignConfig.DspoVariant) => typeof(DspoVariant),
            nameof(AlignConfig.Precision) => typeof(TrainingPrecision),
            _ => null,
        };
        if (enumType is not null && JsonRead.Number(value) is double d && d == Math.Floor(d)
            && Enum.GetName(enumType, Enum.ToObject(enumType, (int)d)) is string name)
            return name;
        return JsonRead.IsScalar(value) ? JsonRead.Scalar(value) : value.ToJsonString();
    }

    /// <summary>
    /// The folder's own PNGs (sample grids first). training.png is left out when the curves are drawn from
    /// the metrics themselves.
    /// </summary>
    private static List<RunImage> ReadImages(string dir, bool keepTrainingPlot, List<string> notes)
    {
        var images = new List<RunImage>();
        var files = Directory.EnumerateFiles(dir, "*.png")
            .Where(f => !Path.GetFileName(f).StartsWith('.'))
            .Where(f => keepTrainingPlot || Path.GetFileName(f) != "training.png")
            .OrderBy(f => Path.GetFileName(f).StartsWith("samples", StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(f => f, StringComparer.Ordinal);
        foreach (var file in files)
        {
            string name = Path.GetFileName(file);
            if (new FileInfo(file).Length > MaxImageBytes)
            {
                notes.Add($"{name} is larger than {MaxImageBytes >> 20} MB; not embedded");
                continue;
            }
            byte[] bytes = File.ReadAllBytes(file);
            if (!EncodedImageLayout.IsPng(bytes))
            {
                notes.Add($"{name} is not a PNG file; not shown");
                continue;
            }
            try
            {
                // Decoded once so a cut-off file is a note here, not a broken picture on the page.
                var image = ImageCodec.Decode(bytes, name);
                images.Add(new RunImage(name, bytes, image.Width, image.Height));
            }
            catch (DiffusionAlignException e)
            {
                notes.Add($"{OneLine(e.Message)}; not shown");
            }
        }
        return images;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");
}
