using System.Globalization;
using DiffusionAlign.Objectives;
using DiffusionAlign.Training;

namespace DiffusionAlign.Cli.Commands;

/// <summary>
/// The "[default: ...]" of an <c>align</c> option, read from <see cref="AlignConfig.DefaultsFor"/> for each
/// method, so help can never drift from what a run uses: "300" when every method agrees, "0.001 for dspo, 2000
/// for dpo; unused by sft" when they differ or a method does not read the setting.
/// </summary>
public static class RecipeDefaults
{
    /// <summary>The methods in the order <c>--method</c> lists them.</summary>
    private static readonly AlignMethod[] Methods = [AlignMethod.Dspo, AlignMethod.Dpo, AlignMethod.Sft];

    /// <summary>
    /// "[default: ...]" for the setting named <paramref name="setting"/> (an <see cref="AlignConfig"/> property),
    /// its value read by <paramref name="value"/>; <paramref name="note"/> is appended inside the brackets.
    /// </summary>
    public static string Describe(string setting, Func<AlignConfig, object?> value, string? note = null)
    {
        var users = Methods.Where(m => AlignConfig.Uses(m, setting)).ToList();
        var groups = users.GroupBy(m => Format(value(AlignConfig.DefaultsFor(m)))).ToList();
        string text = groups.Count == 1
            ? groups[0].Key
            : string.Join(", ", groups.Select(g => $"{g.Key} for {Names(g)}"));
        var unused = Methods.Except(users).ToList();
        if (unused.Count > 0)
            text += users.Count == 1 ? $"; {Names(users)} only" : $"; unused by {Names(unused)}";
        if (note is not null) text += "; " + note;
        return $"[default: {text}]";
    }

    /// <summary>A value as the flag takes it: numbers as Python prints them (2e-05), enums as their words.</summary>
    public static string Format(object? value) => value switch
    {
        null => "none",
        double d => d.ToString("G6", CultureInfo.InvariantCulture).Replace("E", "e"),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Names(IEnumerable<AlignMethod> methods) =>
        string.Join(" and ", methods.Select(m => m.ToString().ToLowerInvariant()));
}
