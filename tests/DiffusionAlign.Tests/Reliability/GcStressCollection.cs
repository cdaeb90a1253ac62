namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// The GC-stress test runs alone, after the parallel tests: its collections suspend every managed thread of the
/// process, and other tests' own code may pass bare numbers to TorchSharp, which the stress would make crash.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GcStressCollection
{
    public const string Name = "GC stress";
}
