using DiffusionAlign.Text;

namespace DiffusionAlign.Bench.StableDiffusion;

/// <summary>
/// A stand-in for Stable Diffusion's CLIP tokenizer with its shape of output: 77 ids, begin marker 49406,
/// end marker 49407 (also the padding, as in SD's tokenizer), words hashed into the 49,406 ordinary ids.
/// The benchmark runs randomly initialised weights, for which what an id means does not matter, only that
/// the text encoder sees 77 tokens; CLIP's vocabulary files are not needed.
/// </summary>
public sealed class HashingTokenizer : ITextTokenizer
{
    /// <summary>The name model configs give this tokenizer (<see cref="TokenizerRegistry"/>).</summary>
    public const string RegistryName = "hashing-clip-77";

    private const int Bos = 49406;
    private const int Eos = 49407;

    /// <summary>Makes <see cref="RegistryName"/> known to <see cref="TokenizerRegistry"/> (idempotent).</summary>
    public static void Register() => TokenizerRegistry.Register(RegistryName, () => new HashingTokenizer());

    public int MaxLength => 77;

    public int VocabularySize => 49408;

    public int PadId => Eos;

    /// <inheritdoc />
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length > MaxLength - 2)
            throw new DiffusionAlignException($"prompt has {words.Length} words; at most {MaxLength - 2} fit");
        var ids = Enumerable.Repeat(PadId, MaxLength).ToArray();
        ids[0] = Bos;
        for (int i = 0; i < words.Length; i++) ids[1 + i] = (int)(Fnv1a(words[i].ToLowerInvariant()) % Bos);
        ids[1 + words.Length] = Eos;
        return ids;
    }

    // FNV-1a: stable across processes and runtimes, unlike string.GetHashCode.
    private static uint Fnv1a(string word)
    {
        uint hash = 2166136261;
        foreach (char c in word) hash = (hash ^ c) * 16777619;
        return hash;
    }
}
