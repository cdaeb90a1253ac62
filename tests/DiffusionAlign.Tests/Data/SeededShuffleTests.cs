using DiffusionAlign.Data;

namespace DiffusionAlign.Tests.Data;

public sealed class SeededShuffleTests
{
    [Fact]
    public void PermutationsArePinnedByTheSeed()
    {
        // Fixed by this project's code, whatever the runtime: published runs' data order depends on it.
        Assert.Equal([7, 8, 1, 6, 5, 0, 9, 2, 3, 4], SeededShuffle.Permutation(10, 0));
        Assert.Equal([0, 1, 6, 5, 7, 4, 2, 3], SeededShuffle.Permutation(8, 12345));
    }

    [Fact]
    public void EqualsSeededRandomShuffleOnThisRuntime()
    {
        // Runs made when the order came from Random.Shuffle keep their data order.
        var seeds = new Random(123);
        for (int k = 0; k < 500; k++)
        {
            int seed = k switch { 0 => 0, 1 => int.MaxValue, _ => seeds.Next() };
            int n = 1 + k % 300;
            var expected = Enumerable.Range(0, n).ToArray();
            new Random(seed).Shuffle(expected);
            Assert.Equal(expected, SeededShuffle.Permutation(n, seed));
        }
    }

    [Fact]
    public void EveryIndexAppearsOnce()
    {
        Assert.Empty(SeededShuffle.Permutation(0, 3));
        Assert.Equal([0], SeededShuffle.Permutation(1, 3));
        Assert.Equal(Enumerable.Range(0, 1000), SeededShuffle.Permutation(1000, 42).Order());
    }
}
