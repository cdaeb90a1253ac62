using ADRaffy.ENSNormalize;

namespace DiffusionAlign.Text;

/// <summary>
/// Unicode canonical composition (NFC) that works under invariant globalization, as dalign is built: there
/// <c>string.Normalize</c> returns its input unchanged, so a decomposed <c>e + U+0301</c> would stay two
/// characters where transformers' tokenizer, which calls <c>unicodedata.normalize("NFC")</c>, sees one.
/// </summary>
/// <remarks>
/// The tables come from the ADRaffy.ENSNormalize package (MIT, no dependencies, Unicode 17 data, passes the
/// Unicode NormalizationTest suite). Its main job is naming on Ethereum, but its NFC is a general one; the
/// alternatives were an alpha of a whole ICU port (ICU4N), native ICU (which invariant globalization leaves
/// out on purpose), or hand-copied Unicode tables. When chosen it agreed with the reference's <c>unicodedata</c>
/// (Unicode 14) on the NFC of every code point and of 20,000 random strings of letters, combining marks and
/// Hangul jamo.
/// </remarks>
internal static class UnicodeNfc
{
    // Below U+0300 every character is NFC-stable and none combines with what precedes it (combining marks
    // start at U+0300, conjoining jamo at U+1100), so most prompts skip the tables, and their one-off load.
    private const char FirstComposingCharacter = '\u0300';

    /// <summary>The NFC form of <paramref name="text"/>.</summary>
    public static string Compose(string text)
    {
        foreach (char c in text)
            if (c >= FirstComposingCharacter)
                return ENSNormalize.NF.NFC(text);
        return text;
    }
}
