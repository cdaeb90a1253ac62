namespace DiffusionAlign.Runtime;

/// <summary>
/// An <see cref="IProgress{T}"/> that runs its handler on the reporting thread. The BCL's
/// <see cref="Progress{T}"/> posts to the thread pool in a console app, which would reorder reports.
/// </summary>
public sealed class ImmediateProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
