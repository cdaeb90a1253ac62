// The Spectre.Console console that tables are written to: terminal width on a terminal, unwrapped when piped.
using Spectre.Console;

namespace DiffusionAlign.Cli;

/// <summary>
/// Where result tables go. On a terminal, Spectre fits tables to its width as usual. Redirected to a file or a
/// pipe, Spectre would assume 80 columns and wrap every wider row over several lines, which no one can read in a
/// log; there the width is set past any table, so each row stays one line, in plain text without colour codes.
/// </summary>
public static class TableConsole
{
    /// <summary>Width assumed for redirected output: wider than any results table, so none wraps.</summary>
    public const int RedirectedWidth = 1000;

    /// <summary>A console writing to <paramref name="writer"/>; <paramref name="redirected"/> says it is not a
    /// terminal (for <see cref="Console.Out"/>: <see cref="Console.IsOutputRedirected"/>).</summary>
    public static IAnsiConsole Create(TextWriter writer, bool redirected)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (!redirected && ReferenceEquals(writer, Console.Out)) return AnsiConsole.Console;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        if (redirected) console.Profile.Width = RedirectedWidth;
        return console;
    }
}
