namespace DiffusionAlign.Tests.Reference;

/// <summary>
/// Paths into the reference fixtures that the Stable Diffusion tests share: the miniature diffusers
/// pipeline and the Pick-a-Pic-format shard (tests using them are <see cref="FixtureFactAttribute"/>s).
/// </summary>
public static class DiffusersFixture
{
    public const string Name = "diffusers-reference";

    public static string TinySd => Path.Combine(ReferenceFixtures.Find(Name)!, "tiny-sd");

    public static string Shard =>
        Directory.GetFiles(ReferenceFixtures.Find("pickapic-format")
            ?? throw new InvalidOperationException("the Pick-a-Pic fixture is missing"), "*.parquet")[0];
}
