namespace DiffusionAlign.Data;

/// <summary>
/// Seeded permutations from SplitMix64, written out here rather than taken from <see cref="Random"/>
/// so that the order of pairs for a (seed, stream) never changes across .NET versions or machines:
/// resumed runs and published results depend on it.
/// </summary>
internal static class EpochShuffle
{
    /// <summary>A permutation of 0..n−1 fixed by (seed, stream); different streams give unrelated orders.</summary>
    public static int[] Permutation(int n, int seed, int stream)
    {
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        ulong state = ((ulong)(uint)seed << 32) | (uint)stream;
        state = Mix(state ^ 0x9E3779B97F4A7C15UL); // decorrelate neighbouring (seed, stream) keys
        for (int i = n - 1; i > 0; i--)
        {
            state += 0x9E3779B97F4A7C15UL;
            ulong r = Mix(state);
            int j = (int)Math.BigMul(r, (ulong)(i + 1), out _); // high word: uniform in [0, i]
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
