namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// One mutated input, written to disk by <see cref="FuzzTarget.Prepare"/>: what was done to it, how many bytes the
/// reader was given (the allocation bounds scale with them), and the path its errors must name.
/// </summary>
public sealed record FuzzInput(string Description, long InputBytes, string Path)
{
    /// <summary>The top-level config key a structural JSON mutation changed, for field-naming checks.</summary>
    public string? Key { get; init; }
}

/// <summary>A reader under fuzz: how to make a case, call the reader, and what it promises.</summary>
public sealed class FuzzTarget
{
    public required string Format { get; init; }

    /// <summary>Writes case <c>i</c>'s mutated input from its generator.</summary>
    public required Func<int, Random, FuzzInput> Prepare { get; init; }

    /// <summary>Calls the reader; whatever it returns goes to <see cref="CheckSuccess"/>.</summary>
    public required Func<FuzzInput, object?> Call { get; init; }

    /// <summary>The exceptions the reader documents; any other is a broken contract.</summary>
    public Func<Exception, bool> Documented { get; init; } = e => e is DiffusionAlignException;

    /// <summary>Checks (and disposes) a successful result; returns the problem, or null.</summary>
    public Func<FuzzInput, object?, string?>? CheckSuccess { get; init; }

    /// <summary>Extra checks of a documented exception's message; returns the problem, or null.</summary>
    public Func<FuzzInput, Exception, string?>? CheckMessage { get; init; }

    /// <summary>
    /// Reads the valid input once before the cases, so one-time costs (JIT, serializer metadata, native library
    /// loading) are not charged to the first mutated case's allocation.
    /// </summary>
    public Action? Warmup { get; init; }

    /// <summary>Managed bytes a call may allocate for an input of the given size.</summary>
    public Func<long, long> AllocationBound { get; init; } = bytes => 64 * bytes + (1 << 20);

    /// <summary>
    /// Growth of resident memory a call may cause, native allocations included; looser than
    /// <see cref="AllocationBound"/> because the managed heap and the native allocators grow in large steps.
    /// </summary>
    public Func<long, long> ResidentBound { get; init; } = bytes => 64 * bytes + (64 << 20);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(20);
}
