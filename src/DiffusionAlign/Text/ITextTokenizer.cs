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
}
