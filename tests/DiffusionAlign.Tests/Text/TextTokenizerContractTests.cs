using DiffusionAlign.Text;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Text;

/// <summary>
/// What every <see cref="ITextTokenizer"/> promises the text encoder, checked on the tokenizers we ship.
/// </summary>
public sealed class TextTokenizerContractTests
{
    public static TheoryData<int> Lengths => new([9, 10, 16]);

    [Theory]
    [MemberData(nameof(Lengths))]
    public void EncodingsHaveFixedLengthBosWordsEosThenPad(int maxLength)
    {
        ITextTokenizer tokenizer = new ShapesTokenizer(maxLength);
        foreach (string text in
            new[] { "", "a red circle on a blue background", "gray", "an orange cross on a white background" })
        {
            int[] ids = tokenizer.Encode(text);
            int words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            Assert.Equal(maxLength, ids.Length);
            Assert.NotEqual(tokenizer.PadId, ids[0]);
            Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.VocabularySize - 1));
            Assert.All(ids.Skip(words + 2), id => Assert.Equal(tokenizer.PadId, id));
            Assert.DoesNotContain(tokenizer.PadId, ids.Take(words + 2));
            Assert.Equal(ids[0], tokenizer.Encode("")[0]);        // same bos
            Assert.Equal(tokenizer.Encode("")[1], ids[words + 1]); // same eos
        }
    }
}
