using DiffusionAlign.Data;
using DiffusionAlign.Imaging;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Data;

public sealed class PairsFolderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dalign-pairs-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static RgbImage Noise(int width, int height, int seed)
    {
        var rng = new Random(seed);
        var image = new RgbImage(width, height);
        for (int i = 0; i < image.Pixels.Length; i++) image.Pixels[i] = (float)rng.NextDouble();
        return image;
    }

    private static RgbImage Solid(int width, int height, float r, float g, float b)
    {
        var image = new RgbImage(width, height);
        for (int i = 0; i < width * height; i++)
            (image.Pixels[i * 3], image.Pixels[i * 3 + 1], image.Pixels[i * 3 + 2]) = (r, g, b);
        return image;
    }

    [Fact]
    public void WriteThenReadGivesTheSamePairs()
    {
        PreferencePair[] pairs =
        [
            new("a red circle", Noise(5, 4, 1), Noise(5, 4, 2)),
            new("a \"blue\" ☃ square\twith tab", Noise(5, 4, 3), Noise(5, 4, 4), 0.7),
            new("", Noise(5, 4, 5), Noise(5, 4, 6), 1.0),
        ];
        Assert.Equal(3, PairsFolder.Write(_dir, pairs));
        Assert.True(File.Exists(Path.Combine(_dir, "images", "000002_l.png")));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories));

        var (data, report) = PairsFolder.Read(_dir);
        Assert.Equal((3, 3, 0), (report.RowsRead, report.PairsKept, report.BadRowsSkipped));
        Assert.Equal(pairs.Select(p => p.Prompt), data.Select(p => p.Prompt));
        Assert.Equal(pairs.Select(p => p.PWinner), data.Select(p => p.PWinner));
        for (int i = 0; i < pairs.Length; i++)
        {
            AssertPixelsClose(pairs[i].Winner, data[i].Winner);
            AssertPixelsClose(pairs[i].Loser, data[i].Loser);
        }

        // The jsonl itself can be named instead of its folder.
        Assert.Equal(3, PairsFolder.Read(Path.Combine(_dir, "pairs.jsonl")).Dataset.Count);
    }

    private static void AssertPixelsClose(RgbImage expected, RgbImage actual)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        for (int i = 0; i < expected.Pixels.Length; i++)
            Assert.True(Math.Abs(expected.Pixels[i] - actual.Pixels[i]) <= 1 / 255f,
                $"pixel value {i}: {expected.Pixels[i]} vs {actual.Pixels[i]}");
    }

    [Fact]
    public void BadRowsAreSkippedAndCounted()
    {
        PairsFolder.Write(_dir,
            [new("one", Noise(3, 3, 1), Noise(3, 3, 2)), new("two", Noise(3, 3, 3), Noise(3, 3, 4))]);
        File.WriteAllText(Path.Combine(_dir, "images", "broken.png"), "this is not a png");
        File.AppendAllLines(Path.Combine(_dir, "pairs.jsonl"),
        [
            """{"prompt": "cut off", "winner": "images/000001_w.png", """,
            """{"prompt": "gone", "winner": "images/nope.png", "loser": "images/000001_l.png"}""",
            """{"prompt": "no loser", "winner": "images/000001_w.png"}""",
            "",
            """{"prompt": null, "winner": "images/000001_w.png", "loser": "images/000001_l.png"}""",
            """{"prompt": "broken", "winner": "images/broken.png", "loser": "images/000001_l.png"}""",
            """{"prompt": "too sure", "winner": "images/000001_w.png", "loser": "images/000001_l.png","""
                + """ "p_winner": 1.5}""",
            """{"prompt": "three", "winner": "images/000002_w.png", "loser": "images/000001_l.png","""
                + """ "p_winner": null}""",
        ]);

        var (data, report) = PairsFolder.Read(_dir);
        Assert.Equal(["one", "two", "three"], data.Select(p => p.Prompt));
        Assert.Equal(9, report.RowsRead); // the blank line is not a row
        Assert.Equal(3, report.PairsKept);
        Assert.Equal(6, report.BadRowsSkipped);
        Assert.Equal(0, report.TiesDropped);
        Assert.Equal(1, report.SkipReasons[SkipReason.MalformedLine]);
        Assert.Equal(1, report.SkipReasons[SkipReason.MissingFile]);
        Assert.Equal(2, report.SkipReasons[SkipReason.MissingField]);
        Assert.Equal(1, report.SkipReasons[SkipReason.UndecodableImage]);
        Assert.Equal(1, report.SkipReasons[SkipReason.BadLabel]);
        Assert.Equal("line 3: malformed line", report.Examples[0]);
        Assert.Contains("images/nope.png", report.Examples[1]);

        string summary = report.ToString();
        Assert.DoesNotContain('\n', summary);
        Assert.Contains("9 rows read, 3 pairs kept, 0 ties dropped, 6 bad rows skipped (2 missing field,", summary);
    }

    [Fact]
    public void PromptsTheModelCannotEncodeAreSkippedWhenRead()
    {
        PairsFolder.Write(_dir,
        [
            new("a red circle on a blue background", Noise(4, 4, 1), Noise(4, 4, 2)),
            new("a pink hexagon on a blue background", Noise(4, 4, 3), Noise(4, 4, 4)),
            new("a red circle on a blue background on a blue background", Noise(4, 4, 5), Noise(4, 4, 6)),
            new("", Noise(4, 4, 7), Noise(4, 4, 8)),
        ]);
        // The check comes before the images: a bad prompt is reported as such even if its images are gone too.
        File.AppendAllLines(Path.Combine(_dir, "pairs.jsonl"),
            ["""{"prompt": "a GREEN dragon", "winner": "images/gone.png", "loser": "images/gone.png"}"""]);
        var check = PreferenceData.PromptCheck(new ShapesTokenizer());

        var (data, report) = PairsFolder.Read(_dir, checkPrompt: check);
        Assert.Equal(["a red circle on a blue background", ""], data.Select(p => p.Prompt));
        Assert.Equal((5, 2, 3), (report.RowsRead, report.PairsKept, report.BadRowsSkipped));
        Assert.Equal(2, report.SkipReasons[SkipReason.UnknownWord]);
        Assert.Equal(1, report.SkipReasons[SkipReason.PromptTooLong]);
        Assert.Equal("line 2: unknown word ('a pink hexagon on a blue background')", report.Examples[0]);
        Assert.Contains("(2 unknown word, 1 prompt too long)", report.ToString());

        // Without a check the loader keeps them, as before; with one, --max-pairs counts usable pairs only.
        Assert.Equal(4, PairsFolder.Read(_dir).Dataset.Count);
        var (limited, _) = PreferenceData.Load(_dir, 4, maxPairs: 2, checkPrompt: check);
        Assert.Equal(["a red circle on a blue background", ""], limited.Select(p => p.Prompt));
    }

    [Fact]
    public void ResizeCropsToTheCentreSquare()
    {
        // 6x2: 2 blue columns each side of a red 2x2 centre.
        var wide = Solid(6, 2, 0, 0, 1);
        for (int y = 0; y < 2; y++)
            for (int x = 2; x < 4; x++) (wide[x, y, 0], wide[x, y, 2]) = (1f, 0f);
        PairsFolder.Write(_dir, [new("wide", wide, Solid(2, 2, 0, 1, 0))]);

        var (data, _) = PairsFolder.Read(_dir, resizeTo: 1);
        Assert.Equal([1f, 0f, 0f], data[0].Winner.Pixels);
        Assert.Equal([0f, 1f, 0f], data[0].Loser.Pixels);
    }

    [Fact]
    public void WithoutResizeImagesOfAnotherSizeAreSkipped()
    {
        PairsFolder.Write(_dir, [new("a", Noise(4, 4, 1), Noise(4, 4, 2)), new("b", Noise(5, 4, 3), Noise(5, 4, 4)),
            new("c", Noise(4, 4, 5), Noise(4, 4, 6))]);
        var (data, report) = PairsFolder.Read(_dir);
        Assert.Equal(["a", "c"], data.Select(p => p.Prompt));
        Assert.Equal(1, report.SkipReasons[SkipReason.SizeMismatch]);
    }

    [Fact]
    public void MissingPathIsAUserError()
    {
        string missing = Path.Combine(_dir, "nowhere");
        var e = Assert.Throws<DiffusionAlignException>(() => PairsFolder.Read(missing));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void FileWithoutUsablePairsIsAUserError()
    {
        Directory.CreateDirectory(_dir);
        string path = Path.Combine(_dir, "random.bin");
        File.WriteAllBytes(path, [.. Enumerable.Range(0, 300).Select(i => (byte)(i * 37 % 256))]);
        var e = Assert.Throws<DiffusionAlignException>(() => PairsFolder.Read(path));
        Assert.Contains(path, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
