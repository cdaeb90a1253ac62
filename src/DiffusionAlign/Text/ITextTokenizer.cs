namespace DiffusionAlign.Text;

/// <summary>
/// Turns prompt text into the fixed-length id sequence a text encoder consumes. Every encoding has
/// exactly <see cref="MaxLength"/> ids: begin-of-sequence, the text's tokens, end-of-sequence, then
/// <see cref="PadId"/> up to the length. The empty string is the unconditional prompt used for
/// classifier-free guidance, so it must encode too.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>Length of every encoding, including the begin and end markers.</summary>
    int MaxLength { get; }

    /// <summary>
    /// Number of distinct ids (the size of an embedding table over them); ids are 0..VocabularySize−1.
    /// </summary>
    int VocabularySize { get; }

    /// <summary>The id that fills positions after the end marker (attention masks key on it).</summary>
    int PadId { get; }

    /// <summary>Encodes <paramref name="text"/> into exactly <see cref="MaxLength"/> ids.</summary>
    /// <exception cref="DiffusionAlignException">
    /// The text has an unknown word or does not fit in <see cref="MaxLength"/>.
    /// </exception>
    int[] Encode(string text);

    /// <summary>
    /// The words of <paramref name="text"/> outside the vocabulary, each once, in order; empty for tokenizers
    /// that encode any text (byte-level BPE). Lets a loader reject a prompt when data is read, naming every
    /// unknown word, rather than when a training batch first encodes it.
    /// </summary>
    IReadOnlyList<string> UnknownWords(string text) => [];
}
