namespace DiffusionAlign.Tests;

/// <summary>
/// Tests that compare two runs drawing from LibTorch's process-wide generator; they run alone, after the
/// parallel tests, so no other test draws in between.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalGeneratorCollection
{
    public const string Name = "Global generator";
}
