namespace DiffusionAlign;

/// <summary>
/// A setting of a config record outside its range. <see cref="Setting"/> is the property's name,
/// so a front end can tell the user which of its own options to change (the CLI names the flag).
/// </summary>
public sealed class InvalidSettingException(string setting, string problem)
    : DiffusionAlignException($"{setting} {problem}")
{
    /// <summary>The name of the config property, e.g. <c>BatchSize</c>.</summary>
    public string Setting { get; } = setting;

    /// <summary>What is wrong with its value, e.g. <c>must be at least 1, got 0</c>.</summary>
    public string Problem { get; } = problem;

    /// <summary>Throws unless <paramref name="valid"/>.</summary>
    public static void Check(bool valid, string setting, string problem)
    {
        if (!valid) throw new InvalidSettingException(setting, problem);
    }
}
