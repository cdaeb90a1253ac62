using System.Globalization;
using System.Text;
using System.Text.Json;

namespace DiffusionAlign.Text;

/// <summary>
/// CLIP's byte-level BPE tokenizer, read from a diffusers <c>tokenizer/</c> folder (<c>vocab.json</c>,
/// <c>merges.txt</c>), giving the ids of transformers' <c>CLIPTokenizer</c> as Stable Diffusion pipelines
/// call it: begin marker, tokens, end marker, padded with the end marker to 77, truncated to the first
/// 75 tokens.
/// </summary>
/// <remarks>
/// Written out rather than taken from Microsoft.ML.Tokenizers, whose BPE model has CLIP's end-of-word
/// suffix but not its order of steps (pre-tokenize by Unicode class, then map bytes to characters,
/// then merge), which the ids depend on. The text is normalized as transformers does when ftfy is not
/// installed (as diffusers installs it): control and format characters dropped, whitespace collapsed,
/// spaces around CJK ideographs, NFC (<see cref="UnicodeNfc"/>, since the runtime's own does nothing under
/// invariant globalization), lower case. ftfy, when present, also composes (its <c>fix_text</c> normalizes
/// to NFC), so a decomposed and a precomposed accent give the same ids either way. ftfy's repairs
/// (mojibake, HTML entities, curly quotes, ligatures, full-width forms) are not made, so such text can
/// tokenize differently from an environment that has ftfy.
/// </remarks>
public sealed class ClipTokenizer : ITextTokenizer
{
    /// <summary>The marker CLIP puts before every text.</summary>
    public const string StartOfText = "<|startoftext|>";

    /// <summary>The marker after every text, also used for padding and unknown tokens.</summary>
    public const string EndOfText = "<|endoftext|>";

    private const string EndOfWord = "</w>";

    // CLIP uses the first 49152 − 256 − 2 merges of its table (the rest would overflow the vocabulary).
    private const int MergeCount = 49152 - 256 - 2;

    private static readonly string[] Contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

    private readonly Dictionary<string, int> _vocabulary;
    private readonly Dictionary<(string, string), int> _mergeRanks;
    private readonly string[] _byteCharacters = ByteCharacters();
    private readonly Dictionary<string, string[]> _cache = new(StringComparer.Ordinal);
    private readonly int _startId;
    private readonly int _endId;

    /// <param name="vocabulary">Token string → id, as in <c>vocab.json</c>.</param>
    /// <param name="merges">The merge rules in rank order, as the lines of <c>merges.txt</c> after its header.</param>
    /// <param name="maxLength">Length of every encoding (77 for Stable Diffusion).</param>
    public ClipTokenizer(IReadOnlyDictionary<string, int> vocabulary, IEnumerable<(string Left, string Right)> merges,
        int maxLength = 77)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        _vocabulary = new Dictionary<string, int>(vocabulary, StringComparer.Ordinal);
        if (!_vocabulary.TryGetValue(StartOfText, out _startId) || !_vocabulary.TryGetValue(EndOfText, out _endId))
            throw new DiffusionAlignException($"the CLIP vocabulary lacks {StartOfText} or {EndOfText}");
        _mergeRanks = new Dictionary<(string, string), int>();
        foreach (var merge in merges.Take(MergeCount)) _mergeRanks.TryAdd(merge, _mergeRanks.Count);
        MaxLength = maxLength;
    }

    public int MaxLength { get; }

    // The table an encoder needs spans the highest id, whatever gaps a vocabulary leaves.
    public int VocabularySize => _vocabulary.Values.Max() + 1;

    public int PadId => _endId;

    /// <summary>
    /// Reads <c>vocab.json</c>, <c>merges.txt</c> and, when present, <c>tokenizer_config.json</c>'s length.
    /// </summary>
    /// <exception cref="DiffusionAlignException">A file is missing or malformed.</exception>
    public static ClipTokenizer FromFolder(string folder)
    {
        string vocabPath = Path.Combine(folder, "vocab.json");
        string mergesPath = Path.Combine(folder, "merges.txt");
        foreach (string path in new[] { vocabPath, mergesPath })
            if (!File.Exists(path)) throw new DiffusionAlignException($"CLIP tokenizer file not found: {path}");
        Dictionary<string, int> vocabulary;
        try
        {
            vocabulary = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabPath), VocabOptions)
                ?? throw new DiffusionAlignException($"{vocabPath} is empty");
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException($"{vocabPath} is not a token → id map: {OneLine(e.Message)}");
        }
        catch (InvalidOperationException e)
        {
            // An escaped lone surrogate ("\ud800") is valid JSON but no .NET string.
            throw new DiffusionAlignException($"{vocabPath} holds a token that is not valid Unicode: {e.Message}");
        }
        if (!vocabulary.ContainsKey(StartOfText) || !vocabulary.ContainsKey(EndOfText))
            throw new DiffusionAlignException($"{vocabPath} lacks {StartOfText} or {EndOfText}");
        if (vocabulary.FirstOrDefault(kv => kv.Value < 0) is { Key: not null } negative)
            throw new DiffusionAlignException($"{vocabPath}: '{negative.Key}' has the negative id {negative.Value}");
        var merges = new List<(string, string)>();
        foreach (string line in File.ReadLines(mergesPath).Skip(1))
        {
            if (line.Length == 0) continue;
            string[] parts = line.Split(' ');
            if (parts.Length != 2) throw new DiffusionAlignException($"{mergesPath}: '{line}' is not a merge rule");
            merges.Add((parts[0], parts[1]));
        }
        return new ClipTokenizer(vocabulary, merges, ConfiguredLength(folder) ?? 77);
    }

    /// <inheritdoc/>
    /// <remarks>Never fails: a token outside the vocabulary becomes the unknown token (the end marker).</remarks>
    public int[] Encode(string text)
    {
        var ids = new List<int>(MaxLength) { _startId };
        foreach (string token in Tokens(text))
        {
            if (ids.Count == MaxLength - 1) break;
            ids.Add(_vocabulary.TryGetValue(token, out int id) ? id : _endId);
        }
        ids.Add(_endId);
        while (ids.Count < MaxLength) ids.Add(_endId);
        return [.. ids];
    }

    /// <summary>
    /// The BPE tokens of <paramref name="text"/> (vocabulary strings, <c>&lt;/w&gt;</c> marking word ends),
    /// without the markers an encoding adds.
    /// </summary>
    public IEnumerable<string> Tokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // Markers written in the text are kept whole; the pieces between them are tokenized apart.
        int start = 0;
        while (start <= text.Length)
        {
            int next = NextMarker(text, start, out string? marker);
            foreach (string word in Words(Normalize(text[start..next])))
                foreach (string piece in Bpe(ToByteCharacters(word)))
                    yield return piece;
            if (marker is null) yield break;
            yield return marker;
            start = next + marker.Length;
        }
    }

    private static int NextMarker(string text, int start, out string? marker)
    {
        int a = text.IndexOf(StartOfText, start, StringComparison.Ordinal);
        int b = text.IndexOf(EndOfText, start, StringComparison.Ordinal);
        if (a < 0 && b < 0)
        {
            marker = null;
            return text.Length;
        }
        bool first = a >= 0 && (b < 0 || a < b);
        marker = first ? StartOfText : EndOfText;
        return first ? a : b;
    }

    /// <summary>
    /// transformers' BasicTokenizer as CLIP configures it (no accent stripping, no punctuation split).
    /// </summary>
    private static string Normalize(string text)
    {
        var cleaned = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            bool whitespace = rune.Value is ' ' or '\t' or '\n' or '\r' || category == UnicodeCategory.SpaceSeparator;
            if (whitespace)
            {
                cleaned.Append(' ');
            }
            else if (rune.Value is 0 or 0xFFFD || IsControl(category))
            {
                continue;
            }
            else if (IsCjkIdeograph(rune.Value))
            {
                cleaned.Append(' ').Append(rune.ToString()).Append(' ');
            }
            else
            {
                cleaned.Append(rune.ToString());
            }
        }
        string normalized = UnicodeNfc.Compose(cleaned.ToString());
        var words = normalized.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(LowerCase);
        return string.Join(' ', words);
    }

    private static bool IsControl(UnicodeCategory category) => category is UnicodeCategory.Control
        or UnicodeCategory.Format or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
        or UnicodeCategory.OtherNotAssigned;

    private static bool IsCjkIdeograph(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF
            or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF
            or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    private static string LowerCase(string word)
    {
        var lower = new StringBuilder(word.Length);
        foreach (var rune in word.EnumerateRunes()) lower.Append(Rune.ToLowerInvariant(rune).ToString());
        return lower.ToString();
    }

    /// <summary>
    /// CLIP's pre-tokenizer, <c>'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>, over code points
    /// (so letters outside the Basic Multilingual Plane count as letters, as in the reference tokenizer).
    /// </summary>
    private static IEnumerable<string> Words(string text)
    {
        var runes = text.EnumerateRunes().ToArray();
        int i = 0;
        while (i < runes.Length)
        {
            var kind = Kind(runes[i]);
            if (kind == RuneKind.Space)
            {
                i++;
                continue;
            }
            string? contraction = Contractions.FirstOrDefault(c => StartsWith(runes, i, c));
            int end = i + 1;
            if (contraction is not null)
                end = i + contraction.Length;
            else if (kind == RuneKind.Letter)
                while (end < runes.Length && Kind(runes[end]) == RuneKind.Letter) end++;
            else if (kind == RuneKind.Other)
                while (end < runes.Length && Kind(runes[end]) == RuneKind.Other) end++;
            yield return string.Concat(runes[i..end].Select(r => r.ToString()));
            i = end;
        }
    }

    private enum RuneKind { Space, Letter, Number, Other }

    private static RuneKind Kind(Rune rune)
    {
        if (Rune.IsWhiteSpace(rune)) return RuneKind.Space;
        if (Rune.IsLetter(rune)) return RuneKind.Letter;
        return Rune.IsNumber(rune) ? RuneKind.Number : RuneKind.Other;
    }

    private static bool StartsWith(Rune[] runes, int at, string ascii)
    {
        if (at + ascii.Length > runes.Length) return false;
        for (int k = 0; k < ascii.Length; k++)
            if (runes[at + k].Value != ascii[k]) return false;
        return true;
    }

    private string ToByteCharacters(string word)
    {
        var mapped = new StringBuilder();
        foreach (byte b in Encoding.UTF8.GetBytes(word)) mapped.Append(_byteCharacters[b]);
        return mapped.ToString();
    }

    /// <summary>
    /// Merges the characters of one word, lowest-ranked pair first, the last one carrying <c>&lt;/w&gt;</c>.
    /// </summary>
    private string[] Bpe(string word)
    {
        if (_cache.TryGetValue(word, out var cached)) return cached;
        var parts = word.Select(c => c.ToString()).ToList();
        parts[^1] += EndOfWord;
        while (parts.Count > 1)
        {
            (string, string)? best = null;
            int bestRank = int.MaxValue;
            for (int k = 0; k + 1 < parts.Count; k++)
            {
                if (_mergeRanks.TryGetValue((parts[k], parts[k + 1]), out int rank) && rank < bestRank)
                {
                    bestRank = rank;
                    best = (parts[k], parts[k + 1]);
                }
            }
            if (best is not { } pair) break;
            var merged = new List<string>(parts.Count);
            for (int k = 0; k < parts.Count; k++)
            {
                if (k + 1 < parts.Count && parts[k] == pair.Item1 && parts[k + 1] == pair.Item2)
                {
                    merged.Add(pair.Item1 + pair.Item2);
                    k++;
                }
                else
                {
                    merged.Add(parts[k]);
                }
            }
            parts = merged;
        }
        var result = parts.ToArray();
        _cache[word] = result;
        return result;
    }

    /// <summary>
    /// GPT-2's reversible byte → character table: printable Latin-1 bytes stand for themselves, the
    /// others for characters from U+0100 on, so every byte string is a string of visible characters.
    /// </summary>
    private static string[] ByteCharacters()
    {
        var table = new string[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = ((char)(printable ? b : next++)).ToString();
        }
        return table;
    }

    // A key given twice says two things (and System.Text.Json would keep either); it is refused.
    private static readonly JsonSerializerOptions VocabOptions = new() { AllowDuplicateProperties = false };

    /// <summary>Longest <c>model_max_length</c> accepted: every prompt is padded to it.</summary>
    public const int MaxConfiguredLength = 4096;

    private static int? ConfiguredLength(string folder)
    {
        string path = Path.Combine(folder, "tokenizer_config.json");
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("model_max_length", out var length))
                return null;
            // transformers writes int(1e30) for "no limit"; CLIP's own configs say 77.
            if (length.ValueKind == JsonValueKind.Number && length.TryGetDouble(out double huge) && huge >= 1e18)
                return null;
            int n = 0;
            bool whole = length.ValueKind == JsonValueKind.Number && length.TryGetInt32(out n);
            if (!whole || n is < 2 or > MaxConfiguredLength)
                throw new DiffusionAlignException(
                    $"{path}: model_max_length must be a whole number in [2, {MaxConfiguredLength}], got {length}");
            return n;
        }
        catch (JsonException e)
        {
            throw new DiffusionAlignException($"{path} is not valid JSON: {OneLine(e.Message)}");
        }
        catch (InvalidOperationException e)
        {
            throw new DiffusionAlignException($"{path} is not a tokenizer config: {e.Message}");
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
