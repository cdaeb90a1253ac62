namespace DiffusionAlign.Data;

/// <summary>
/// Seeded permutations whose order is fixed by this file alone: a Fisher–Yates shuffle driven by
/// Knuth's subtractive generator, the algorithm behind a seeded <see cref="Random"/>. Written out
/// (rather than calling <c>new Random(seed).Shuffle</c>) because the data order of published runs
/// and of resumed checkpoints must not change with the .NET runtime; it equals that call's order on
/// the runtime this project targets (a test checks both), so runs made with either agree.
/// </summary>
public static class SeededShuffle
{
    /// <summary>A permutation of 0..n−1 fixed by <paramref name="seed"/>.</summary>
    public static int[] Permutation(int n, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        var generator = new SubtractiveGenerator(seed);
        for (int i = 0; i < n - 1; i++)
        {
            int j = generator.Next(i, n);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    /// <summary>
    /// Knuth's subtractive generator (TAOCP vol. 2, 3.6), seeded as <see cref="Random(int)"/> seeds it.
    /// </summary>
    private sealed class SubtractiveGenerator
    {
        private const int Modulus = int.MaxValue;
        private readonly int[] _state = new int[56];
        private int _next;
        private int _nextP = 21;

        public SubtractiveGenerator(int seed)
        {
            int mj = 161803398 - (seed == int.MinValue ? int.MaxValue : Math.Abs(seed));
            _state[55] = mj;
            int mk = 1;
            int ii = 0;
            for (int i = 1; i < 55; i++)
            {
                if ((ii += 21) >= 55) ii -= 55;
                _state[ii] = mk;
                mk = mj - mk;
                if (mk < 0) mk += Modulus;
                mj = _state[ii];
            }
            for (int k = 1; k < 5; k++)
            {
                for (int i = 1; i < 56; i++)
                {
                    int n = i + 30;
                    if (n >= 55) n -= 55;
                    _state[i] -= _state[1 + n];
                    if (_state[i] < 0) _state[i] += Modulus;
                }
            }
        }

        /// <summary>Uniform in [<paramref name="low"/>, <paramref name="high"/>) for ranges below 2³¹.</summary>
        public int Next(int low, int high) => (int)(Sample() * ((long)high - low)) + low;

        private double Sample()
        {
            if (++_next >= 56) _next = 1;
            if (++_nextP >= 56) _nextP = 1;
            int value = _state[_next] - _state[_nextP];
            if (value == Modulus) value--;
            if (value < 0) value += Modulus;
            _state[_next] = value;
            return value * (1.0 / Modulus);
        }
    }
}
