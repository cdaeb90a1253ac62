namespace DiffusionAlign.Worlds.Shapes;

/// <summary>The colour a shape is painted in. Order fixes ids, tokens and the prompt split.</summary>
public enum ShapeColour { Red, Green, Blue, Yellow, Purple, Orange }

/// <summary>The kind of shape. All four are drawn with equal area so that size means the same for each.</summary>
public enum ShapeKind { Circle, Square, Triangle, Cross }

/// <summary>The flat colour behind the shape. Order fixes ids, tokens and the prompt split.</summary>
public enum BackgroundColour { Blue, White, Black, Gray }

/// <summary>
/// The words and colours of the shapes world: 6 shape colours × 4 shapes × 4 backgrounds, less the
/// 4 prompts whose shape and background share a colour name (blue on blue), i.e. 92 prompts.
/// Colours are chosen so every shape colour stands out on every background it can appear on, and
/// neighbouring names (red/orange, orange/yellow, blue/purple) are still ≥ 0.3 apart in RGB.
/// The background "blue" is a deep navy, darker than the shape "blue".
/// </summary>
public static class ShapesVocabulary
{
    private static readonly Rgb[] ShapeRgb =
    [
        Rgb.FromBytes(220, 40, 40),   // red
        Rgb.FromBytes(40, 170, 60),   // green
        Rgb.FromBytes(40, 90, 230),   // blue
        Rgb.FromBytes(245, 215, 40),  // yellow
        Rgb.FromBytes(150, 60, 190),  // purple
        Rgb.FromBytes(245, 135, 30),  // orange
    ];

    private static readonly Rgb[] BackgroundRgb =
    [
        Rgb.FromBytes(25, 45, 120),   // blue (navy)
        Rgb.FromBytes(240, 240, 240), // white
        Rgb.FromBytes(15, 15, 15),    // black
        Rgb.FromBytes(128, 128, 128), // gray
    ];

    /// <summary>All shape colours in id order.</summary>
    public static IReadOnlyList<ShapeColour> ShapeColours { get; } = Enum.GetValues<ShapeColour>();

    /// <summary>All shapes in id order.</summary>
    public static IReadOnlyList<ShapeKind> Shapes { get; } = Enum.GetValues<ShapeKind>();

    /// <summary>All background colours in id order.</summary>
    public static IReadOnlyList<BackgroundColour> Backgrounds { get; } = Enum.GetValues<BackgroundColour>();

    /// <summary>
    /// The words that glue a prompt together ("a red circle on a blue background"; "an" before "orange").
    /// </summary>
    public static IReadOnlyList<string> GrammarWords { get; } = ["a", "an", "on", "background"];

    /// <summary>
    /// Every word a prompt of this world can contain, each once, in a fixed order (tokenizer ids follow it).
    /// </summary>
    public static IReadOnlyList<string> Words { get; } =
        GrammarWords
            .Concat(ShapeColours.Select(Name))
            .Concat(Backgrounds.Select(Name))
            .Concat(Shapes.Select(Name))
            .Distinct()
            .ToArray();

    /// <summary>The RGB a shape of this colour is painted with (before jitter).</summary>
    public static Rgb Colour(ShapeColour colour) => ShapeRgb[(int)colour];

    /// <summary>The RGB of this background (before jitter).</summary>
    public static Rgb Colour(BackgroundColour colour) => BackgroundRgb[(int)colour];

    /// <summary>The lower-case word for a shape colour.</summary>
    public static string Name(ShapeColour colour) => colour.ToString().ToLowerInvariant();

    /// <summary>The lower-case word for a shape.</summary>
    public static string Name(ShapeKind shape) => shape.ToString().ToLowerInvariant();

    /// <summary>The lower-case word for a background colour.</summary>
    public static string Name(BackgroundColour colour) => colour.ToString().ToLowerInvariant();

    /// <summary>
    /// True when the shape colour and background have the same name; such prompts are not part of the world.
    /// </summary>
    public static bool SameColourName(ShapeColour shape, BackgroundColour background) =>
        Name(shape) == Name(background);

    /// <summary>The shape colour with this name (case-insensitive), or null.</summary>
    public static ShapeColour? ParseShapeColour(string word) => ParseEnum<ShapeColour>(word);

    /// <summary>The shape with this name (case-insensitive), or null.</summary>
    public static ShapeKind? ParseShape(string word) => ParseEnum<ShapeKind>(word);

    /// <summary>The background colour with this name (case-insensitive), or null.</summary>
    public static BackgroundColour? ParseBackground(string word) => ParseEnum<BackgroundColour>(word);

    /// <summary>The shape colour whose RGB is nearest (Euclidean) to <paramref name="rgb"/>.</summary>
    public static ShapeColour NearestShapeColour(Rgb rgb) => (ShapeColour)Nearest(ShapeRgb, rgb);

    /// <summary>The background colour whose RGB is nearest (Euclidean) to <paramref name="rgb"/>.</summary>
    public static BackgroundColour NearestBackground(Rgb rgb) => (BackgroundColour)Nearest(BackgroundRgb, rgb);

    private static int Nearest(Rgb[] palette, Rgb rgb)
    {
        int best = 0;
        double bestDistance = double.MaxValue;
        for (int i = 0; i < palette.Length; i++)
        {
            double d = palette[i].DistanceTo(rgb);
            if (d < bestDistance) (best, bestDistance) = (i, d);
        }
        return best;
    }

    private static T? ParseEnum<T>(string word) where T : struct, Enum
    {
        // Names only: Enum.TryParse would also accept digits such as "2".
        foreach (T value in Enum.GetValues<T>())
            if (string.Equals(value.ToString(), word, StringComparison.OrdinalIgnoreCase)) return value;
        return null;
    }
}
