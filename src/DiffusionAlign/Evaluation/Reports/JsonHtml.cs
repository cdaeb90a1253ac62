using System.Text.Json;
using System.Text.Json.Nodes;

namespace DiffusionAlign.Evaluation.Reports;

/// <summary>
/// Shows a results.json section this version has no layout for, by its shape: a table of entries when they
/// are objects (e.g. a second judge's win rates, a study's rows), name/value pairs when they are numbers or
/// text, a section per part when it mixes both, and indented JSON otherwise. Newer files then show their new
/// numbers without a newer report.
/// </summary>
internal static class JsonHtml
{
    /// <summary>Cells longer than this are cut: a nested blob would hide the table around it.</summary>
    private const int MaxCell = 240;

    /// <summary>Text this long is a description, kept out of a one-row table's cells.</summary>
    private const int LongText = 40;

    /// <summary>Nesting shown as sections; deeper parts are shown as JSON.</summary>
    private const int MaxDepth = 3;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(HtmlBuilder html, string key, JsonNode? value, int depth = 0)
    {
        html.Element(depth == 0 ? "h4" : "h5", key);
        switch (value)
        {
            case null or JsonValue:
                html.Markup("<p>").Text(JsonRead.Scalar(value)).Markup("</p>\n");
                break;
            case JsonObject { Count: 0 }:
            case JsonArray { Count: 0 }:
                html.Element("p", "(empty)", "note");
                break;
            case JsonObject o when o.All(kv => JsonRead.IsScalar(kv.Value)):
                html.Facts(o.Select(kv => new Field(kv.Key, JsonRead.Scalar(kv.Value))));
                break;
            case JsonObject o when o.All(kv => kv.Value is JsonObject):
                WriteRows(html, "entry", o.Select(kv => ((string?)kv.Key, (JsonObject)kv.Value!)).ToList());
                break;
            case JsonArray a when a.All(item => item is JsonObject):
                WriteRows(html, null, a.Select(item => ((string?)null, (JsonObject)item!)).ToList());
                break;
            case JsonArray a when a.All(JsonRead.IsScalar):
                html.Markup("<p>").Text(string.Join(", ", a.Select(JsonRead.Scalar))).Markup("</p>\n");
                break;
            case JsonObject o when depth < MaxDepth:
                var scalars = o.Where(kv => JsonRead.IsScalar(kv.Value)).ToList();
                if (scalars.Count > 0) html.Facts(scalars.Select(kv => new Field(kv.Key, JsonRead.Scalar(kv.Value))));
                foreach (var (name, child) in o.Where(kv => !JsonRead.IsScalar(kv.Value)))
                    Write(html, $"{key}.{name}", child, depth + 1);
                break;
            default:
                html.Markup("<pre>").Text(value.ToJsonString(Indented)).Markup("</pre>\n");
                break;
        }
    }

    /// <summary>
    /// One row per entry, one column per key any entry has, in order of first appearance. A text column that
    /// is the same in every row (say how an interval was made) is written once under the table instead, and so
    /// is a long text of a one-row table.
    /// </summary>
    private static void WriteRows(HtmlBuilder html, string? keyHeader,
        IReadOnlyList<(string? Key, JsonObject Entry)> rows)
    {
        var columns = new List<string>();
        foreach (var (_, entry) in rows)
            foreach (var (name, _) in entry)
                if (!columns.Contains(name)) columns.Add(name);
        var constant = columns.Where(c =>
        {
            var texts = rows.Select(r => JsonRead.Text(r.Entry[c])).ToList();
            return texts.All(t => t is not null) && texts.Distinct().Count() == 1
                && (rows.Count > 1 || texts[0]!.Length > LongText);
        }).ToList();
        columns = columns.Except(constant).ToList();
        var headers = (keyHeader is null ? columns : columns.Prepend(keyHeader)).ToList();
        var numeric = headers.Select(h => h != keyHeader && rows.All(r =>
            r.Entry[h] is null || JsonRead.Number(r.Entry[h]) is not null)).ToList();
        html.Table(headers, rows.Select(r =>
        {
            var cells = columns.Select(c => r.Entry.ContainsKey(c) ? Cell(r.Entry[c]) : Format.Missing);
            return new HtmlRow((keyHeader is null ? cells : cells.Prepend(r.Key ?? "")).ToList());
        }), numeric);
        if (constant.Count > 0)
            html.Facts(constant.Select(c => new Field(c, JsonRead.Text(rows[0].Entry[c])!)));
    }

    private static string Cell(JsonNode? value)
    {
        string text = JsonRead.IsScalar(value) ? JsonRead.Scalar(value) : value!.ToJsonString();
        return text.Length <= MaxCell ? text : text[..MaxCell] + "…";
    }
}
