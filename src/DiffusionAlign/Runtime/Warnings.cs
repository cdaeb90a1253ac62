namespace DiffusionAlign.Runtime;

/// <summary>
/// Where the library reports what it does not stop for but a user should see, such as config keys it
/// ignores: one line per warning. By default a warning goes to standard error as <c>warning: ...</c>, so it
/// never mixes with a command's output; a host (a CLI, a notebook) can route it elsewhere with
/// <see cref="Sink"/>, and a test can capture its own with <see cref="Redirect"/>.
/// </summary>
public static class Warnings
{
    private static Action<string> sink = WriteToStandardError;

    // Per flow of execution rather than global, so tests running in parallel each capture only their own.
    private static readonly AsyncLocal<Action<string>?> Redirected = new();

    /// <summary>The process-wide destination of warnings (the message comes without a "warning:" prefix).</summary>
    public static Action<string> Sink
    {
        get => sink;
        set => sink = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>Reports one warning, a single line naming what it is about.</summary>
    public static void Report(string message) => (Redirected.Value ?? sink)(message);

    /// <summary>
    /// Sends the warnings reported by the calling code (this thread, and the async calls it makes) to
    /// <paramref name="destination"/> until the result is disposed; other threads keep using <see cref="Sink"/>.
    /// </summary>
    public static IDisposable Redirect(Action<string> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var previous = Redirected.Value;
        Redirected.Value = destination;
        return new Restore(previous);
    }

    /// <summary>The default sink: <c>warning: message</c> on standard error.</summary>
    public static void WriteToStandardError(string message) => Console.Error.WriteLine($"warning: {message}");

    private sealed class Restore(Action<string>? previous) : IDisposable
    {
        public void Dispose() => Redirected.Value = previous;
    }
}
