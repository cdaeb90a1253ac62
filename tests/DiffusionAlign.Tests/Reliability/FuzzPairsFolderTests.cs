using System.Text;
using DiffusionAlign.Data;
using DiffusionAlign.Imaging;
using Xunit.Abstractions;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// Damaged pairs folders (<c>pairs.jsonl</c> and its images): reading one keeps the good rows and skips each bad
/// one under a reason naming its line, or, when no row is usable, fails with a
/// <see cref="DiffusionAlignException"/> naming the file.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class FuzzPairsFolderTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>
    /// Image paths a careless or hostile pairs.jsonl holds: a device that never ends, the folder itself, a file
    /// that is not an image, a path outside the folder.
    /// </summary>
    private static readonly string[] Paths =
        ["/dev/zero", "/dev/urandom", "images", ".", "pairs.jsonl", "../outside.png", "", "images/missing.png"];

    private readonly TestModels.TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static RgbImage Image(int seed)
    {
        var rng = new Random(seed);
        var image = new RgbImage(8, 8);
        for (int i = 0; i < image.Pixels.Length; i++) image.Pixels[i] = (float)rng.NextDouble();
        return image;
    }

    private static List<string> Lines(string jsonl) =>
        [.. jsonl.Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>Damages one row, the rows' order, the whole file's bytes, or one image.</summary>
    private static string Damage(string folder, string jsonl, string[] images, Random rng)
    {
        string path = Path.Combine(folder, PairsFolder.PairsFileName);
        var lines = Lines(jsonl);
        int row = rng.Next(lines.Count);
        string description;
        switch (rng.Next(10))
        {
            case < 4:
            {
                var mutation = FuzzJson.Mutate(lines[row], rng, indented: false);
                lines[row] = mutation.Text;
                description = $"line {row + 1}: {mutation.Description}";
                break;
            }
            case 4:
            {
                string field = rng.Next(2) == 0 ? "winner" : "loser";
                string value = Paths[rng.Next(Paths.Length)];
                lines[row] = System.Text.RegularExpressions.Regex.Replace(
                    lines[row], $"\"{field}\":\"[^\"]*\"", $"\"{field}\":\"{value}\"");
                description = $"line {row + 1}: {field} = {value}";
                break;
            }
            case 5:
            {
                int copies = rng.Next(1, 4);
                for (int i = 0; i < copies; i++) lines.Insert(row, lines[row]);
                lines.Insert(rng.Next(lines.Count + 1), rng.Next(2) == 0 ? "" : "\r");
                description = $"repeat line {row + 1} {copies} times, add a blank line";
                break;
            }
            case < 8:
            {
                var bytes = FuzzBytes.Mutate(Encoding.UTF8.GetBytes(jsonl), rng, out description);
                File.WriteAllBytes(path, bytes);
                return "pairs.jsonl: " + description;
            }
            default:
            {
                string image = images[rng.Next(images.Length)];
                var bytes = FuzzBytes.Mutate(File.ReadAllBytes(Path.Combine(folder, image)), rng, out description);
                File.WriteAllBytes(Path.Combine(folder, image), bytes);
                File.WriteAllText(path, jsonl);
                return $"{image}: {description}";
            }
        }
        File.WriteAllText(path, string.Join('\n', lines) + "\n");
        return description;
    }

    [Fact]
    public void DamagedPairsFoldersKeepTheGoodRowsOrFailNamingTheFile()
    {
        string pristine = Path.Combine(_dir.Path, "pristine");
        string work = Path.Combine(_dir.Path, "work");
        PairsFolder.Write(pristine, Enumerable.Range(0, 5).Select(i =>
            new PreferencePair($"pair {i} ☃", Image(2 * i), Image(2 * i + 1), i % 2 == 0 ? 0.75 : null)));
        string jsonl = File.ReadAllText(Path.Combine(pristine, PairsFolder.PairsFileName));
        string[] images = Directory.GetFiles(Path.Combine(pristine, PairsFolder.ImagesFolderName))
            .Select(f => Path.GetRelativePath(pristine, f)).Order(StringComparer.Ordinal).ToArray();
        var target = new FuzzTarget
        {
            Format = "pairs-folder",
            Warmup = () =>
            {
                FuzzFolders.Restore(pristine, work);
                PairsFolder.Read(work);
            },
            Prepare = (i, rng) =>
            {
                // Damage touches pairs.jsonl or one image: putting those back is much cheaper than copying the folder.
                File.WriteAllText(Path.Combine(work, PairsFolder.PairsFileName), jsonl);
                foreach (string image in images)
                    File.Copy(Path.Combine(pristine, image), Path.Combine(work, image), overwrite: true);
                string description = Damage(work, jsonl, images, rng);
                long bytes = FuzzFolders.Bytes(work);
                return new FuzzInput(description, bytes, Path.Combine(work, PairsFolder.PairsFileName));
            },
            // Half the reads resize, which also decodes images of any size.
            Call = input => PairsFolder.Read(work, resizeTo: input.Description.Length % 2 == 0 ? 8 : null),
            CheckSuccess = (_, result) =>
            {
                var (data, report) = ((PreferenceDataset, LoadReport))result!;
                if (data.Count != report.PairsKept) return $"{data.Count} pairs but {report.PairsKept} kept";
                return report.Examples.FirstOrDefault(e => !e.StartsWith("line ", StringComparison.Ordinal))
                    is string example ? $"a skipped row's example names no line: {example}" : null;
            },
        };
        var tally = FuzzHarness.Run(target, FuzzSettings.Cases(500), output);
        FuzzHarness.AssertHeld(tally);
    }
}
