namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// The fuzz tests run alone, after the parallel tests: they measure allocations process-wide (the parquet reader
/// allocates on pool threads) and time every case, and other tests running beside them would blur both.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzCollection
{
    public const string Name = "Fuzz";
}
