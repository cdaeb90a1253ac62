namespace DiffusionAlign.Training;

/// <summary>
/// A setting of an <see cref="AlignConfig"/> that a run accepts but its user most likely did not mean. The
/// text names settings as <c>{Property}</c> placeholders, so each front end names them its own way: the CLI
/// by its flags, <see cref="ToString"/> by the properties.
/// </summary>
/// <param name="Template">One line, with a <c>{Property}</c> for each of <paramref name="Settings"/>.</param>
/// <param name="Settings">The properties the warning is about, in the order they appear.</param>
public sealed record AlignConfigWarning(string Template, IReadOnlyList<string> Settings)
{
    /// <summary>The line with each setting named by <paramref name="name"/> (e.g. property → flag).</summary>
    public string Format(Func<string, string> name)
    {
        string text = Template;
        foreach (string setting in Settings) text = text.Replace("{" + setting + "}", name(setting));
        return text;
    }

    public override string ToString() => Format(setting => setting);
}
