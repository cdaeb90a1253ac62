namespace DiffusionAlign.IO;

/// <summary>
/// A <c>.safetensors</c> file that breaks the format (truncated, bad header, inconsistent offsets).
/// The message is one line naming the file and the problem.
/// </summary>
public sealed class SafetensorsFormatException : DiffusionAlignException
{
    public SafetensorsFormatException(string path, string problem)
        : base($"{path}: not a valid safetensors file: {problem}")
    {
        Path = path;
        Problem = problem;
    }

    public SafetensorsFormatException(string path, string problem, Exception inner)
        : base($"{path}: not a valid safetensors file: {problem}", inner)
    {
        Path = path;
        Problem = problem;
    }

    public string Path { get; }

    public string Problem { get; }
}
