// Fits label text into a pixel width (word wrap, then "…" abbreviation) and draws it with SkiaSharp.
using SkiaSharp;

namespace DiffusionAlign.Imaging;

/// <summary>
/// Label text for pictures: a sans-serif font found on the machine, greedy word wrapping to a pixel width with
/// "…" where a word or the last allowed line does not fit, and drawing into a Skia canvas.
/// </summary>
internal static class LabelText
{
    /// <summary>
    /// Families tried in order: common sans-serif fonts on Linux, macOS and Windows. Skia's default typeface is the
    /// last resort, so a machine without any of them still draws (in whatever font it has).
    /// </summary>
    private static readonly string[] Families = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica"];

    private static readonly Lazy<SKTypeface> Regular = new(() => Find(SKFontStyle.Normal));
    private static readonly Lazy<SKTypeface> Bold = new(() => Find(SKFontStyle.Bold));

    private static SKTypeface Find(SKFontStyle style)
    {
        foreach (string family in Families)
            if (SKFontManager.Default.MatchFamily(family, style) is { } typeface) return typeface;
        return SKTypeface.Default;
    }

    public static SKFont Font(float size, bool bold = false) =>
        new(bold ? Bold.Value : Regular.Value, size) { Subpixel = true, Edging = SKFontEdging.Antialias };

    /// <summary>Height of one line of text in pixels (the font's recommended spacing).</summary>
    public static float LineHeight(SKFont font) => font.Spacing;

    /// <summary>
    /// Breaks <paramref name="text"/> into at most <paramref name="maxLines"/> lines no wider than
    /// <paramref name="width"/> pixels. A word wider than a line is cut and ends in "…"; text left over after the
    /// last line is dropped and that line ends in "…", so a label that cannot fit says it was shortened.
    /// </summary>
    public static IReadOnlyList<string> Wrap(string text, SKFont font, float width, int maxLines)
    {
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var lines = new List<string>();
        string current = "";
        int next = 0;
        for (; next < words.Length && lines.Count < maxLines; next++)
        {
            string candidate = current.Length == 0 ? words[next] : current + " " + words[next];
            if (font.MeasureText(candidate) <= width)
            {
                current = candidate;
                continue;
            }
            if (current.Length > 0)
            {
                lines.Add(current);
                current = "";
                next--; // The word starts the next line.
                continue;
            }
            lines.Add(Abbreviate(words[next], font, width)); // One word wider than the line.
        }
        // The loop only stops at maxLines right after emptying current, so current always has room here.
        if (current.Length > 0) lines.Add(current);
        if (next < words.Length && lines.Count > 0)
        {
            // Left-over words: the last line says so, shortened until the ellipsis fits.
            string last = lines[^1] + " " + string.Join(' ', words[next..]);
            lines[^1] = Abbreviate(last, font, width);
        }
        return lines;
    }

    /// <summary>The text, or its longest prefix followed by "…" that fits in <paramref name="width"/>.</summary>
    public static string Abbreviate(string text, SKFont font, float width)
    {
        if (font.MeasureText(text) <= width) return text;
        for (int length = text.Length - 1; length > 0; length--)
        {
            string shortened = text[..length].TrimEnd() + "…";
            if (font.MeasureText(shortened) <= width) return shortened;
        }
        return font.MeasureText("…") <= width ? "…" : "";
    }

    /// <summary>
    /// Draws lines centred on <paramref name="centreY"/> as a block; each line aligned on <paramref name="x"/>
    /// as <paramref name="align"/> says.
    /// </summary>
    public static void DrawBlock(SKCanvas canvas, IReadOnlyList<string> lines, float x, float centreY,
        SKTextAlign align, SKFont font, SKPaint paint)
    {
        float lineHeight = LineHeight(font);
        float top = centreY - lines.Count * lineHeight / 2;
        // Baseline of a line: its top plus the ascent (negative in Skia), with the leading split above and below.
        float leading = (lineHeight - (font.Metrics.Descent - font.Metrics.Ascent)) / 2;
        for (int i = 0; i < lines.Count; i++)
            canvas.DrawText(lines[i], x, top + i * lineHeight + leading - font.Metrics.Ascent, align, font, paint);
    }
}
