namespace DiffusionAlign;

/// <summary>
/// A problem caused by the user's input (a bad file, an unknown word, a missing folder) rather
/// than by a bug. The CLI prints its message on one line and exits non-zero, with no stack trace.
/// </summary>
public class DiffusionAlignException : Exception
{
    public DiffusionAlignException(string message) : base(message) { }

    public DiffusionAlignException(string message, Exception inner) : base(message, inner) { }
}
