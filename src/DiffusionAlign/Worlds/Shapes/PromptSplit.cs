namespace DiffusionAlign.Worlds.Shapes;

/// <summary>
/// All 92 prompts of the shapes world in a fixed order (shape colour, then shape, then background,
/// each in vocabulary order), split into <see cref="Train"/> and <see cref="HeldOut"/>.
/// </summary>
/// <remarks>
/// Rule (no random seed): with vocabulary indices c (shape colour 0..5), s (shape 0..3) and
/// b (background 0..3), a prompt is held out iff <c>(c + 2·s + 3·b) mod 6 == 0</c>. That picks
/// exactly one colour for every (shape, background) pair, 15 prompts in all (16.3%; the 16th
/// would be blue-on-blue, which is not a prompt). Every held-out prompt is a new combination of
/// parts seen in training: each of its (colour, shape), (shape, background) and (colour, background)
/// pairs also occurs in <see cref="Train"/>, so held-out prompts test compositional generalisation.
/// </remarks>
public sealed class PromptSplit
{
    public PromptSplit()
    {
        var all = new List<ShapesPrompt>();
        foreach (ShapeColour colour in ShapesVocabulary.ShapeColours)
            foreach (ShapeKind shape in ShapesVocabulary.Shapes)
                foreach (BackgroundColour background in ShapesVocabulary.Backgrounds)
                    if (!ShapesVocabulary.SameColourName(colour, background))
                        all.Add(new ShapesPrompt(colour, shape, background));
        All = all;
        Train = all.Where(p => !IsHeldOut(p)).ToArray();
        HeldOut = all.Where(IsHeldOut).ToArray();
    }

    /// <summary>Every prompt of the world, in enumeration order.</summary>
    public IReadOnlyList<ShapesPrompt> All { get; }

    /// <summary>Prompts used for pretraining and for building preference pairs.</summary>
    public IReadOnlyList<ShapesPrompt> Train { get; }

    /// <summary>Prompts kept out of all training, for evaluation only.</summary>
    public IReadOnlyList<ShapesPrompt> HeldOut { get; }

    /// <summary>
    /// The split rule: <c>(colour + 2·shape + 3·background) mod 6 == 0</c> over vocabulary indices.
    /// </summary>
    public static bool IsHeldOut(ShapesPrompt prompt) =>
        ((int)prompt.ShapeColour + 2 * (int)prompt.Shape + 3 * (int)prompt.Background) % 6 == 0;
}
