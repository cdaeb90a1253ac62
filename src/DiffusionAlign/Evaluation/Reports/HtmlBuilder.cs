using System.Text;

namespace DiffusionAlign.Evaluation.Reports;

/// <summary>A row of a table: cell texts (encoded when written) and an optional CSS class.</summary>
internal sealed record HtmlRow(IReadOnlyList<string> Cells, string? Class = null);

/// <summary>
/// Appends HTML where every piece of text goes through <see cref="Format.Html"/>: the only raw markup is the
/// builder's own, so nothing read from a file can open a tag.
/// </summary>
internal sealed class HtmlBuilder
{
    private readonly StringBuilder _html = new();

    /// <summary>Markup written by the report itself (never text from a file).</summary>
    public HtmlBuilder Markup(string markup)
    {
        _html.Append(markup);
        return this;
    }

    public HtmlBuilder Text(string? text)
    {
        _html.Append(Format.Html(text));
        return this;
    }

    /// <summary><c>&lt;tag class="…"&gt;text&lt;/tag&gt;</c>; <paramref name="tag"/> is the report's own.</summary>
    public HtmlBuilder Element(string tag, string? text, string? cssClass = null, string? id = null)
    {
        _html.Append('<').Append(tag);
        if (id is not null) _html.Append(" id=\"").Append(Format.Html(id)).Append('"');
        if (cssClass is not null) _html.Append(" class=\"").Append(Format.Html(cssClass)).Append('"');
        _html.Append('>').Append(Format.Html(text)).Append("</").Append(tag).Append(">\n");
        return this;
    }

    /// <summary>
    /// A table; columns flagged in <paramref name="numeric"/> are right-aligned in tabular figures. Wide tables
    /// scroll inside their own box rather than widening the page.
    /// </summary>
    public HtmlBuilder Table(IReadOnlyList<string> headers, IEnumerable<HtmlRow> rows,
        IReadOnlyList<bool>? numeric = null, string? caption = null)
    {
        _html.Append("<div class=\"scroll\"><table>\n");
        if (caption is not null) _html.Append("<caption>").Append(Format.Html(caption)).Append("</caption>\n");
        _html.Append("<thead><tr>");
        foreach (var h in headers) _html.Append("<th>").Append(Format.Html(h)).Append("</th>");
        _html.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in rows)
        {
            _html.Append(row.Class is null ? "<tr>" : $"<tr class=\"{Format.Html(row.Class)}\">");
            for (int i = 0; i < row.Cells.Count; i++)
            {
                bool number = numeric is not null && i < numeric.Count && numeric[i];
                _html.Append(number ? "<td class=\"num\">" : "<td>").Append(Format.Html(row.Cells[i])).Append("</td>");
            }
            _html.Append("</tr>\n");
        }
        _html.Append("</tbody></table></div>\n");
        return this;
    }

    /// <summary>A PNG embedded as a data: URI, so the page needs no file beside it.</summary>
    public HtmlBuilder Image(byte[] png, int width, int height, string alt, string? cssClass = null)
    {
        _html.Append("<img src=\"data:image/png;base64,").Append(Convert.ToBase64String(png)).Append('"')
            .Append(" width=\"").Append(width).Append("\" height=\"").Append(height).Append('"')
            .Append(" alt=\"").Append(Format.Html(alt)).Append('"');
        if (cssClass is not null) _html.Append(" class=\"").Append(Format.Html(cssClass)).Append('"');
        _html.Append(">\n");
        return this;
    }

    /// <summary>Name: value pairs as a definition list.</summary>
    public HtmlBuilder Facts(IEnumerable<Field> fields)
    {
        _html.Append("<dl>\n");
        foreach (var f in fields)
            _html.Append("<dt>").Append(Format.Html(f.Name)).Append("</dt><dd>").Append(Format.Html(f.Value))
                .Append("</dd>\n");
        _html.Append("</dl>\n");
        return this;
    }

    public override string ToString() => _html.ToString();
}
