namespace DiffusionAlign.Worlds.Shapes;

/// <summary>
/// All 92 prompts of the shapes world in a fixed order (shape colour, then shape, then background,
/// each in vocabulary order), split into <see cref="Train"/>, <see cref="Validation"/> and <see cref="HeldOut"/>
/// (the test prompts).
/// </summary>
/// <remarks>
/// Rule (no random seed): with vocabulary indices c (shape colour 0..5), s (shape 0..3) and b (background 0..3),
/// let k = <c>(c + 2·s + 3·b) mod 6</c>. A prompt is held out for testing iff k = 0 and kept for validation iff
/// k = 4. Each residue picks exactly one colour for every (shape, background) pair, so each set has 15 prompts
/// (16.3%; the 16th would be a colour on its own name, which is not a prompt), and 62 remain for training. Every
/// validation and test prompt is a new combination of parts seen in training: each of its (colour, shape),
/// (shape, background) and (colour, background) pairs also occurs in <see cref="Train"/>, so both sets test
/// compositional generalisation, and choices made on one say nothing about the other's prompts. (k = 3 would
/// break that property; k = 1, 2 and 5 keep it too.)
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
        Train = all.Where(p => !IsHeldOut(p) && !IsValidation(p)).ToArray();
        Validation = all.Where(IsValidation).ToArray();
        HeldOut = all.Where(IsHeldOut).ToArray();
    }

    /// <summary>Every prompt of the world, in enumeration order.</summary>
    public IReadOnlyList<ShapesPrompt> All { get; }

    /// <summary>Prompts used for pretraining and for building training preference pairs.</summary>
    public IReadOnlyList<ShapesPrompt> Train { get; }

    /// <summary>
    /// Prompts kept out of all training, on which every choice (β, learning rate, steps, checkpoint) is made.
    /// </summary>
    public IReadOnlyList<ShapesPrompt> Validation { get; }

    /// <summary>The test prompts: kept out of all training and all choices, evaluated for the final tables.</summary>
    public IReadOnlyList<ShapesPrompt> HeldOut { get; }

    /// <summary>The prompts of <paramref name="set"/>.</summary>
    public IReadOnlyList<ShapesPrompt> Of(PromptSet set) => set switch
    {
        PromptSet.Train => Train,
        PromptSet.Validation => Validation,
        PromptSet.Test => HeldOut,
        _ => throw new ArgumentOutOfRangeException(nameof(set), set, null),
    };

    private static int Residue(ShapesPrompt prompt) =>
        ((int)prompt.ShapeColour + 2 * (int)prompt.Shape + 3 * (int)prompt.Background) % 6;

    /// <summary>The test rule: <c>(colour + 2·shape + 3·background) mod 6 == 0</c> over vocabulary indices.</summary>
    public static bool IsHeldOut(ShapesPrompt prompt) => Residue(prompt) == 0;

    /// <summary>The validation rule: <c>(colour + 2·shape + 3·background) mod 6 == 4</c>.</summary>
    public static bool IsValidation(ShapesPrompt prompt) => Residue(prompt) == 4;
}

/// <summary>The three disjoint prompt sets of <see cref="PromptSplit"/>.</summary>
public enum PromptSet
{
    Train,
    Validation,
    Test,
}
