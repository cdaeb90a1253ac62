using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Worlds.Shapes;

public sealed class ShapesTokenizerTests
{
    private readonly ShapesTokenizer _tokenizer = new();

    [Fact]
    public void EncodesAPromptWithDocumentedIds()
    {
        // pad 0, bos 1, eos 2; words from 3: a an on background red green blue yellow purple orange
        // white black gray circle square triangle cross.
        Assert.Equal(20, _tokenizer.VocabularySize);
        Assert.Equal([1, 3, 7, 16, 5, 3, 9, 6, 2, 0], _tokenizer.Encode("a red circle on a blue background"));
        Assert.Equal([1, 4, 12, 19, 5, 3, 15, 6, 2, 0], _tokenizer.Encode("An ORANGE cross  on a gray\tbackground"));
    }

    [Fact]
    public void EmptyPromptIsBosEosThenPadding()
    {
        Assert.Equal([1, 2, 0, 0, 0, 0, 0, 0, 0, 0], _tokenizer.Encode(""));
        Assert.Equal([1, 2, 0, 0, 0, 0, 0, 0, 0, 0], _tokenizer.Encode("   "));
    }

    [Fact]
    public void UnknownWordIsNamedInOneLine()
    {
        var e = Assert.Throws<DiffusionAlignException>(() => _tokenizer.Encode("a pink circle on a blue background"));
        Assert.Contains("'pink'", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void TooManyWordsAreRejected()
    {
        var tokenizer = new ShapesTokenizer(maxLength: 5);
        Assert.Equal([1, 7, 16, 2, 0], tokenizer.Encode("red circle"));
        Assert.Throws<DiffusionAlignException>(() => tokenizer.Encode("a red circle on"));
    }

    [Fact]
    public void EveryPromptFitsAndDecodesBack()
    {
        foreach (ShapesPrompt prompt in new PromptSplit().All)
        {
            int[] ids = _tokenizer.Encode(prompt.ToString());
            Assert.Equal(prompt.ToString(), _tokenizer.Decode(ids));
            Assert.Equal(ShapesTokenizer.Pad, ids[^1]);
        }
    }
}
