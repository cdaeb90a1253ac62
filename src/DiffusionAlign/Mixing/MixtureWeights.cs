// The weights of a policy mixture: non-negative, normalised to sum 1, one per policy.
using System.Globalization;

namespace DiffusionAlign.Mixing;

/// <summary>
/// Mixing weights w on the probability simplex (wᵢ ≥ 0, Σ wᵢ = 1), one per policy of a
/// <see cref="PolicyMixture"/>. Given weights are normalised, so <c>2,1</c> and <c>0.667,0.333</c> are one mixture.
/// </summary>
public sealed class MixtureWeights
{
    private readonly double[] _values;

    private MixtureWeights(double[] values) => _values = values;

    /// <summary>The weights, in policy order; they sum to 1.</summary>
    public IReadOnlyList<double> Values => _values;

    public int Count => _values.Length;

    public double this[int index] => _values[index];

    /// <summary>
    /// <paramref name="values"/> divided by their sum.
    /// </summary>
    /// <exception cref="DiffusionAlignException">No weights, one negative or not finite, or all zero.</exception>
    public static MixtureWeights Normalised(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var raw = values.ToArray();
        if (raw.Length == 0) throw new DiffusionAlignException("a mixture needs at least one weight, got none");
        for (int i = 0; i < raw.Length; i++)
            if (!double.IsFinite(raw[i]) || raw[i] < 0)
                throw new DiffusionAlignException(
                    $"mixture weights must be finite numbers >= 0, got {Format(raw[i])} (weight {i + 1})");
        double sum = raw.Sum();
        if (!(sum > 0)) throw new DiffusionAlignException("mixture weights are all zero; give at least one above 0");
        return new MixtureWeights(raw.Select(v => v / sum).ToArray());
    }

    /// <summary>Equal weights 1/<paramref name="count"/>.</summary>
    public static MixtureWeights Uniform(int count) => Normalised(Enumerable.Repeat(1.0, count));

    /// <summary>All weight on policy <paramref name="index"/>: the mixture samples as that policy alone.</summary>
    public static MixtureWeights Vertex(int count, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        return Normalised(Enumerable.Range(0, count).Select(i => i == index ? 1.0 : 0.0));
    }

    /// <summary>
    /// Comma-separated weights as a user types them (<c>0.3,0.7</c> or <c>3,7</c>), one per policy, normalised.
    /// </summary>
    /// <exception cref="DiffusionAlignException">Not <paramref name="count"/> numbers, or weights
    /// <see cref="Normalised"/> refuses.</exception>
    public static MixtureWeights Parse(string text, int count)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length != count)
            throw new DiffusionAlignException(
                $"give {count} comma-separated weights (one per policy), got {parts.Length} in '{text}'");
        var values = new double[count];
        for (int i = 0; i < count; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
                throw new DiffusionAlignException($"weight '{parts[i]}' in '{text}' is not a number");
        return Normalised(values);
    }

    /// <summary>
    /// <c>(1 − δ)·w + δ·e_i</c>: a step of size <paramref name="delta"/> from these weights toward policy
    /// <paramref name="index"/>, still on the simplex (the probe of mirror descent's finite differences).
    /// </summary>
    public MixtureWeights Toward(int index, double delta)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        if (!(delta > 0 && delta <= 1))
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "must be in (0, 1]");
        return Normalised(_values.Select((w, i) => (1 - delta) * w + (i == index ? delta : 0)));
    }

    /// <summary>The weights as <see cref="Parse"/> reads them (round-trip precision).</summary>
    public override string ToString() => string.Join(",", _values.Select(Format));

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
