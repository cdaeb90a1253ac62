using System.Text.Json;
using DiffusionAlign.Data;
using DiffusionAlign.Imaging;

namespace DiffusionAlign.Tests.Reference;

/// <summary>
/// The Pick-a-Pic-schema shard written by Apache Arrow (dictionary and plain pages in one image column,
/// two row groups, JPEG 4:2:0 / 4:4:4 / grayscale and a PNG in a <c>jpg_</c> column) and what its rows hold.
/// </summary>
public sealed class PickAPicFixtureTests
{
    private const string Fixture = "pickapic-format";

    private static double[] MeanRgb(RgbImage image)
    {
        var sums = new double[3];
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                for (int c = 0; c < 3; c++)
                    sums[c] += image[x, y, c];
        // RgbImage holds [0, 1]; the fixture gives 0–255.
        return sums.Select(s => 255.0 * s / (image.Width * image.Height)).ToArray();
    }

    private static double Distance(double[] a, JsonElement b) =>
        a.Zip(b.EnumerateArray().Select(e => e.GetDouble()), (x, y) => Math.Abs(x - y)).Max();

    [FixtureFact(Fixture)]
    public void ReadsEveryPairInOrderWithTheRightWinnerAndDropsTheTies()
    {
        string folder = ReferenceFixtures.Find(Fixture)!;
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected.json")));
        var (dataset, report) = PickAPicParquet.Read(Path.Combine(folder, "train-00000-of-00001.parquet"), 64);
        Assert.Equal((24, 21, 3, 0), (report.RowsRead, report.PairsKept, report.TiesDropped, report.BadRowsSkipped));

        var rows = expected.RootElement.GetProperty("rows").EnumerateArray()
            .Where(r => r.GetProperty("expected").GetString() == "pair").ToList();
        Assert.Equal(rows.Count, dataset.Count);
        int squares = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            Assert.Equal(row.GetProperty("caption").GetString(), dataset[i].Prompt);
            bool firstWins = row.GetProperty("label_0").GetDouble() > row.GetProperty("label_1").GetDouble();
            // A square image resized to 64×64 keeps its mean colour to a few levels (other shapes are
            // center-cropped first, which changes it), so the colours tell winner from loser.
            var images = new[] { (dataset[i].Winner, firstWins ? "jpg_0" : "jpg_1", "winner"),
                (dataset[i].Loser, firstWins ? "jpg_1" : "jpg_0", "loser") };
            foreach (var (image, column, role) in images)
            {
                var facts = row.GetProperty(column);
                if (facts.GetProperty("width").GetInt32() != facts.GetProperty("height").GetInt32()) continue;
                squares++;
                double off = Distance(MeanRgb(image), facts.GetProperty("mean_rgb"));
                int number = row.GetProperty("row").GetInt32();
                Assert.True(off < 4, $"row {number}: the {role}'s mean colour is off by {off:F1}");
            }
        }
        Assert.True(squares >= 12, $"only {squares} square images checked by colour");
    }
}
