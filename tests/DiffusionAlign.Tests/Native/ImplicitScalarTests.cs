namespace DiffusionAlign.Tests.Native;

/// <summary>
/// No production method may hand TorchSharp a bare number: the implicit Scalar it becomes can be freed by a
/// garbage collection while LibTorch reads it (docs/build-notes.md, "Implicit Scalars").
/// </summary>
public sealed class ImplicitScalarTests
{
    [Fact]
    public void ScannerFindsEachBadSampleAndNotTheRootedOne()
    {
        var prefix = typeof(ImplicitScalarSamples).FullName!;
        var found = ImplicitScalarScanner.Scan(typeof(ImplicitScalarSamples).Assembly.Location).Keys
            .Where(name => name.StartsWith(prefix + ".", StringComparison.Ordinal)
                || name.StartsWith(prefix + "+", StringComparison.Ordinal))
            .ToList();

        // The lambda and the iterator body live in compiler-generated nested types (sorted first: '+' < '.').
        Assert.Collection(found,
            name => Assert.Matches(@"\+<>c\.<HalveLater>b__\d+_\d+$", name),
            name => Assert.Matches(@"\+<HalveEach>d__\d+\.MoveNext$", name),
            name => Assert.Equal($"{prefix}.{nameof(ImplicitScalarSamples.Halve)}", name));
    }

    /// <summary>Methods of the core library that may convert, each with why it cannot pass a rooted Scalar.</summary>
    private static readonly Dictionary<string, string> Allowed = new()
    {
        ["DiffusionAlign.Models.Activation.Mish"] =
            "TorchSharp 0.107's mish makes its softplus Scalars internally and has no overload taking Scalars; "
            + "rebuilding softplus from exp and log1p would round differently",
    };

    [Fact]
    public void CoreLibraryPassesNoImplicitScalar()
    {
        var found = ImplicitScalarScanner.Scan(typeof(DiffusionAlign.Models.TensorSum).Assembly.Location);
        var stale = Allowed.Keys.Where(name => !found.ContainsKey(name)).ToList();
        foreach (var name in Allowed.Keys) found.Remove(name);

        Assert.True(found.Count == 0,
            $"{found.Count} methods pass a bare number to TorchSharp (use a rooted Scalar):\n"
            + ImplicitScalarScanner.Describe(found));
        Assert.True(stale.Count == 0, $"allowed but no longer converting: {string.Join(", ", stale)}");
    }

    [Theory]
    [InlineData("dalign.dll")]
    [InlineData("DiffusionAlign.Bench.dll")]
    public void CliAndBenchPassNoImplicitScalar(string assembly)
    {
        var found = ImplicitScalarScanner.Scan(Path.Combine(AppContext.BaseDirectory, assembly));
        Assert.True(found.Count == 0,
            $"{found.Count} methods pass a bare number to TorchSharp (use a rooted Scalar):\n"
            + ImplicitScalarScanner.Describe(found));
    }
}
