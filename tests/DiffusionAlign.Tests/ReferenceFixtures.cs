namespace DiffusionAlign.Tests;

/// <summary>
/// The reference data computed by the upstream Python code (diffusers, transformers), kept outside the
/// repository in <c>shared/fixtures</c> beside it. Tests that need it skip, saying why, where it is absent.
/// </summary>
public static class ReferenceFixtures
{
    /// <summary>The folder of fixture <paramref name="name"/>, or null when it is not beside the repository.</summary>
    public static string? Find(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "fixtures", name);
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>A fact that needs a reference fixture and is skipped, with the reason, when it is absent.</summary>
public sealed class FixtureFactAttribute : FactAttribute
{
    public FixtureFactAttribute(string fixture)
    {
        if (ReferenceFixtures.Find(fixture) is null)
            Skip = $"reference fixture '{fixture}' not found: it is read from shared/fixtures beside the repository";
    }
}

/// <summary>A theory that needs a reference fixture and is skipped, with the reason, when it is absent.</summary>
public sealed class FixtureTheoryAttribute : TheoryAttribute
{
    public FixtureTheoryAttribute(string fixture)
    {
        if (ReferenceFixtures.Find(fixture) is null)
            Skip = $"reference fixture '{fixture}' not found: it is read from shared/fixtures beside the repository";
    }
}
