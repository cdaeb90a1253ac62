using DiffusionAlign.Text;

namespace DiffusionAlign.Worlds.Shapes;

/// <summary>
/// Word-level tokenizer over the shapes world's vocabulary: pad = 0, bos = 1, eos = 2, then the
/// words of <see cref="ShapesVocabulary.Words"/> in order (ids 3..). Words are separated by
/// whitespace and matched case-insensitively; any other word is an error rather than an "unknown"
/// token, since every prompt of this world is built from these words alone.
/// </summary>
public sealed class ShapesTokenizer : ITextTokenizer
{
    /// <summary>The name model configs give this tokenizer (<see cref="Text.TokenizerRegistry"/>).</summary>
    public const string RegistryName = "shapes";

    public const int Pad = 0;
    public const int Bos = 1;
    public const int Eos = 2;
    private const int FirstWordId = 3;

    private readonly Dictionary<string, int> _ids;
    private readonly IReadOnlyList<string> _words;

    /// <param name="maxLength">Ids per encoding; the default 10
    /// holds bos + 7 prompt words + eos with room to spare.</param>
    public ShapesTokenizer(int maxLength = 10)
    {
        if (maxLength < 2)
            throw new ArgumentOutOfRangeException(nameof(maxLength), "max length must leave room for bos and eos");
        MaxLength = maxLength;
        _words = ShapesVocabulary.Words;
        _ids = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < _words.Count; i++) _ids[_words[i]] = FirstWordId + i;
    }

    public int MaxLength { get; }

    public int VocabularySize => FirstWordId + _words.Count;

    public int PadId => Pad;

    /// <inheritdoc />
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length > MaxLength - 2)
            throw new DiffusionAlignException(
                $"prompt has {words.Length} words but the tokenizer holds at most {MaxLength - 2}: '{text.Trim()}'");
        var unknown = UnknownWords(text);
        if (unknown.Count > 0)
        {
            // All of them at once, so one fix of the prompt (or the data) is enough.
            string list = string.Join(", ", unknown.Select(w => $"'{w}'"));
            throw new DiffusionAlignException($"unknown word{(unknown.Count > 1 ? "s" : "")} {list} in prompt "
                + $"'{text.Trim()}' (known words: {string.Join(", ", _words)})");
        }
        var ids = new int[MaxLength]; // zero-filled: Pad is 0
        ids[0] = Bos;
        for (int i = 0; i < words.Length; i++) ids[i + 1] = _ids[words[i]];
        ids[words.Length + 1] = Eos;
        return ids;
    }

    /// <inheritdoc />
    public IReadOnlyList<string> UnknownWords(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)
            .Where(w => !_ids.ContainsKey(w))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    /// <summary>The words of an encoding, without bos, eos and padding (for logs and debugging).</summary>
    public string Decode(IReadOnlyList<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var words = new List<string>();
        foreach (int id in ids)
        {
            if (id is Pad or Bos) continue;
            if (id == Eos) break;
            if (id < FirstWordId || id >= VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(ids), $"id {id} is not in the shapes vocabulary");
            words.Add(_words[id - FirstWordId]);
        }
        return string.Join(' ', words);
    }
}
