using System.Collections.Concurrent;

namespace DiffusionAlign.Text;

/// <summary>
/// Tokenizers by the name a model folder's config gives (<c>"tokenizer"</c> in <c>config.json</c>),
/// so loading a model needs no knowledge of where its tokenizer comes from. The library's own
/// tokenizers register themselves when the library loads; a caller may add more.
/// </summary>
public static class TokenizerRegistry
{
    private static readonly ConcurrentDictionary<string, Func<ITextTokenizer>> Factories = new(StringComparer.Ordinal);

    /// <summary>The registered names.</summary>
    public static IReadOnlyCollection<string> Names => Factories.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// Adds (or replaces) the tokenizer made by <paramref name="create"/> under <paramref name="name"/>.
    /// </summary>
    public static void Register(string name, Func<ITextTokenizer> create)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(create);
        Factories[name] = create;
    }

    /// <exception cref="DiffusionAlignException">No tokenizer has that name.</exception>
    public static ITextTokenizer Create(string name) =>
        Factories.TryGetValue(name, out var create)
            ? create()
            : throw new DiffusionAlignException(
                $"unknown tokenizer '{name}' in model config (known: {string.Join(", ", Names)})");
}
