using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace DiffusionAlign.Cli;

/// <summary>
/// Words System.CommandLine's parse errors as the one line every other user error gets: flags by the names
/// the user typed, values by what they should be ("a number"), never the help page or a .NET type name.
/// </summary>
public static class ParseErrors
{
    /// <summary>
    /// One line for a parse that failed, e.g. "unknown option '--stpes' (did you mean --steps?); --lr expects
    /// a number, got 'abc' (see dalign pretrain --help)".
    /// </summary>
    public static string Describe(ParseResult result)
    {
        var command = result.CommandResult.Command;
        var parts = new List<string>();
        if (result.UnmatchedTokens.Count > 0) parts.Add(Unmatched(command, result.UnmatchedTokens[0]));
        // A required option the user left out has no result, or an implicit one without its flag.
        var missing = command.Options
            .Where(o => o.Required && result.GetResult(o) is null or { IdentifierTokenCount: 0 })
            .Select(o => o.Name)
            .ToList();
        if (missing.Count > 0) parts.Add($"missing {string.Join(", ", missing)}");
        foreach (var error in result.Errors)
            if (OptionOf(error.SymbolResult) is { } option && !missing.Contains(option.Option.Name))
                parts.Add(Describe(option, error.Message));
        var commands = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
        if (parts.Count == 0 && commands.Count > 0) parts.Add($"give a command: {string.Join(", ", commands)}");
        if (parts.Count == 0) parts.AddRange(result.Errors.Select(e => OneLine(e.Message)));
        string help = command is RootCommand ? "dalign --help" : $"dalign {command.Name} --help";
        return $"{string.Join("; ", parts.Distinct())} (see {help})";
    }

    private static OptionResult? OptionOf(SymbolResult? symbol) => symbol switch
    {
        OptionResult option => option,
        ArgumentResult { Parent: OptionResult option } => option,
        _ => null,
    };

    private static string Describe(OptionResult option, string message)
    {
        string name = option.IdentifierToken?.Value ?? option.Option.Name;
        if (option.Tokens.Count == 0 && option.Option.Arity.MinimumNumberOfValues > 0) return $"{name} needs a value";
        var type = Nullable.GetUnderlyingType(option.Option.ValueType) ?? option.Option.ValueType;
        if (type.IsArray) type = type.GetElementType()!;
        string? kind = type == typeof(int) || type == typeof(long) ? "a whole number"
            : type == typeof(double) || type == typeof(float) ? "a number"
            : null;
        var bad = option.Tokens.FirstOrDefault(t => !Parses(type, t.Value));
        if (kind is not null && bad is not null) return $"{name} expects {kind}, got '{bad.Value}'";
        return OneLine(message);
    }

    private static bool Parses(Type type, string text) =>
        type == typeof(int) ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
        : type == typeof(long) ? long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>The first token nothing claimed: a misspelled flag, a stray value or an unknown command.</summary>
    private static string Unmatched(Command command, string token)
    {
        if (!token.StartsWith('-'))
        {
            if (command.Subcommands.Count == 0) return $"unexpected argument '{token}'";
            return $"unknown command '{token}'" + Suggest(token, command.Subcommands.Select(c => c.Name));
        }
        var names = command.Options.SelectMany(o => o.Aliases.Append(o.Name))
            .Where(n => n.StartsWith("--", StringComparison.Ordinal));
        return $"unknown option '{token}'" + Suggest(token, names);
    }

    private static string Suggest(string token, IEnumerable<string> candidates)
    {
        var best = candidates
            .Select(c => (Name: c, Distance: EditDistance(token, c)))
            .Where(c => c.Distance <= Math.Max(2, token.Length / 3))
            .OrderBy(c => c.Distance)
            .FirstOrDefault();
        return best.Name is null ? "" : $" (did you mean {best.Name}?)";
    }

    /// <summary>Levenshtein distance, to suggest the flag a typo was meant to be.</summary>
    private static int EditDistance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    private static string OneLine(string message) =>
        string.Join(' ', message.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
