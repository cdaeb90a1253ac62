using System.Text.Json;
using DiffusionAlign.Text;

namespace DiffusionAlign.Tests.Text;

public sealed class ClipTokenizerTests
{
    /// <summary>A toy CLIP table: bytes as characters, a few merges, the two markers.</summary>
    private static ClipTokenizer Toy(int maxLength = 8)
    {
        var vocabulary = new Dictionary<string, int>();
        foreach (string token in new[]
                 {
                     "c", "a", "t", "c</w>", "a</w>", "t</w>", "ca", "cat</w>", "at</w>", "!</w>", "Ã", "©</w>",
                     "Ã©</w>", ClipTokenizer.StartOfText, ClipTokenizer.EndOfText,
                 })
            vocabulary[token] = vocabulary.Count;
        // "c a" before "a t</w>": "cat" becomes "ca" + "t</w>", then "ca t</w>" → "cat</w>".
        var merges = new[] { ("c", "a"), ("a", "t</w>"), ("ca", "t</w>"), ("Ã", "©</w>") };
        return new ClipTokenizer(vocabulary, merges, maxLength);
    }

    [Fact]
    public void MergesByRankAndMarksTheEndOfEachWord()
    {
        var tokenizer = Toy();
        Assert.Equal(["cat</w>", "a</w>", "!</w>"], tokenizer.Tokens("CAT  a!"));
        // é is two UTF-8 bytes, each mapped to a visible character before merging.
        Assert.Equal(["Ã©</w>"], tokenizer.Tokens("é"));
    }

    [Fact]
    public void EncodingsHaveMarkersPaddingAndTruncation()
    {
        var tokenizer = Toy(maxLength: 5);
        int start = 13, end = 14, cat = 7;
        Assert.Equal([start, end, end, end, end], tokenizer.Encode(""));
        Assert.Equal([start, cat, end, end, end], tokenizer.Encode("cat"));
        // Room for three tokens between the markers: the fourth is cut, the end marker kept.
        Assert.Equal([start, cat, cat, cat, end], tokenizer.Encode("cat cat cat cat"));
        Assert.Equal(end, tokenizer.PadId);
    }

    [Fact]
    public void MarkersWrittenInTheTextStayWhole()
    {
        var tokenizer = Toy();
        Assert.Equal([ClipTokenizer.StartOfText, "cat</w>", ClipTokenizer.EndOfText],
            tokenizer.Tokens("<|startoftext|>cat<|endoftext|>"));
    }

    [Fact]
    public void DecomposedAccentsAreComposedFirstAsTransformersDoes()
    {
        var tokenizer = Toy();
        // e + U+0301 is NFC-composed to U+00E9 (two UTF-8 bytes, one merge), as BasicTokenizer's
        // unicodedata.normalize("NFC") does; uncomposed it would be "e" plus three bytes of accent.
        Assert.Equal(["Ã©</w>"], tokenizer.Tokens("e\u0301"));
        Assert.Equal(tokenizer.Encode("caf\u00e9 \u00e9"), tokenizer.Encode("cafe\u0301 e\u0301"));
        // Hangul syllables compose from their jamo too (U+1100 U+1161 is U+AC00), in three UTF-8 bytes.
        Assert.Equal(tokenizer.Tokens("\uac00"), tokenizer.Tokens("\u1100\u1161"));
    }

    [FixtureFact("diffusers-reference")]
    public void ReproducesTransformersIdsAndTokensOnTheReferenceStrings()
    {
        string fixture = ReferenceFixtures.Find("diffusers-reference")!;
        var tokenizer = ClipTokenizer.FromFolder(Path.Combine(fixture, "tiny-sd", "tokenizer"));
        Assert.Equal((77, 49408, 49407), (tokenizer.MaxLength, tokenizer.VocabularySize, tokenizer.PadId));
        using var cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(fixture, "tokenizer_cases.json")));
        int compared = 0, withoutFtfy = 0;
        foreach (var c in cases.RootElement.GetProperty("cases").EnumerateArray())
        {
            string text = c.GetProperty("text").GetString()!;
            // Without ftfy (as diffusers installs transformers) the ids differ from ftfy's on a few strings;
            // this tokenizer follows the ftfy-less normalization.
            bool differs = c.TryGetProperty("input_ids_without_ftfy", out var plain);
            var expected = (differs ? plain : c.GetProperty("input_ids")).EnumerateArray().Select(e => e.GetInt32());
            Assert.True(expected.SequenceEqual(tokenizer.Encode(text)), $"ids of {JsonSerializer.Serialize(text)}");
            if (differs)
            {
                withoutFtfy++;
            }
            else
            {
                var tokens = c.GetProperty("tokens").EnumerateArray().Select(e => e.GetString()!).ToArray();
                Assert.Equal(tokens[1..^1], tokenizer.Tokens(text));
            }
            compared++;
        }
        Assert.Equal(32, compared);
        Assert.Equal(6, withoutFtfy);
    }
}
