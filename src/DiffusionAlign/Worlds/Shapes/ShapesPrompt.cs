namespace DiffusionAlign.Worlds.Shapes;

/// <summary>
/// One prompt of the shapes world: "a {colour} {shape} on a {background} background"
/// ("an orange ..." before the vowel). Shape colour and background never share a colour name.
/// </summary>
public sealed record ShapesPrompt
{
    /// <exception cref="DiffusionAlignException">A value is not in the
    /// vocabulary, or shape and background share a colour.</exception>
    public ShapesPrompt(ShapeColour shapeColour, ShapeKind shape, BackgroundColour background)
    {
        if (!Enum.IsDefined(shapeColour))
            throw new DiffusionAlignException($"shape colour {(int)shapeColour} is not in the shapes vocabulary");
        if (!Enum.IsDefined(shape))
            throw new DiffusionAlignException($"shape {(int)shape} is not in the shapes vocabulary");
        if (!Enum.IsDefined(background))
            throw new DiffusionAlignException($"background {(int)background} is not in the shapes vocabulary");
        if (ShapesVocabulary.SameColourName(shapeColour, background))
            throw new DiffusionAlignException(
                $"'{Describe(shapeColour, shape, background)}' is not in the shapes world: "
                + "the shape colour must differ from the background colour");
        ShapeColour = shapeColour;
        Shape = shape;
        Background = background;
    }

    public ShapeColour ShapeColour { get; }

    public ShapeKind Shape { get; }

    public BackgroundColour Background { get; }

    public void Deconstruct(out ShapeColour shapeColour, out ShapeKind shape, out BackgroundColour background) =>
        (shapeColour, shape, background) = (ShapeColour, Shape, Background);

    /// <summary>The prompt text, e.g. "a red circle on a blue background".</summary>
    public override string ToString() => Describe(ShapeColour, Shape, Background);

    /// <summary>
    /// Parses "a {colour} {shape} on a {background} background", case-insensitive, any whitespace
    /// between words; either article ("a"/"an") is accepted in either place.
    /// </summary>
    /// <exception cref="DiffusionAlignException">The text does not follow the grammar; the one-line message names each
    /// bad word and the valid words for its slot.</exception>
    public static ShapesPrompt Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length != 7)
            throw new DiffusionAlignException(
                "expected a prompt like 'a red circle on a blue background' (7 words), "
                + $"got {words.Length} word(s): '{text.Trim()}'");

        var problems = new List<string>();
        ExpectArticle(words[0], problems);
        ShapeColour? colour = ShapesVocabulary.ParseShapeColour(words[1]);
        if (colour is null)
            problems.Add(Unknown(
                "shape colour", words[1], ShapesVocabulary.ShapeColours.Select(ShapesVocabulary.Name)));
        ShapeKind? shape = ShapesVocabulary.ParseShape(words[2]);
        if (shape is null)
            problems.Add(Unknown("shape", words[2], ShapesVocabulary.Shapes.Select(ShapesVocabulary.Name)));
        if (!words[3].Equals("on", StringComparison.OrdinalIgnoreCase))
            problems.Add($"expected 'on' but got '{words[3]}'");
        ExpectArticle(words[4], problems);
        BackgroundColour? background = ShapesVocabulary.ParseBackground(words[5]);
        if (background is null)
            problems.Add(Unknown(
                "background colour", words[5], ShapesVocabulary.Backgrounds.Select(ShapesVocabulary.Name)));
        if (!words[6].Equals("background", StringComparison.OrdinalIgnoreCase))
            problems.Add($"expected 'background' but got '{words[6]}'");

        if (problems.Count > 0)
            throw new DiffusionAlignException(
                $"cannot parse prompt '{string.Join(' ', words)}': {string.Join("; ", problems)}");
        return new ShapesPrompt(colour!.Value, shape!.Value, background!.Value);
    }

    private static void ExpectArticle(string word, List<string> problems)
    {
        if (!word.Equals("a", StringComparison.OrdinalIgnoreCase)
            && !word.Equals("an", StringComparison.OrdinalIgnoreCase))
            problems.Add($"expected 'a' or 'an' but got '{word}'");
    }

    private static string Unknown(string slot, string word, IEnumerable<string> valid) =>
        $"unknown {slot} '{word}' (valid: {string.Join(", ", valid)})";

    private static string Describe(ShapeColour colour, ShapeKind shape, BackgroundColour background)
    {
        string colourName = ShapesVocabulary.Name(colour);
        string article = "aeiou".Contains(colourName[0]) ? "an" : "a";
        return $"{article} {colourName} {ShapesVocabulary.Name(shape)} "
            + $"on a {ShapesVocabulary.Name(background)} background";
    }
}
