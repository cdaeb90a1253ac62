using DiffusionAlign.Imaging;

namespace DiffusionAlign.Worlds.Shapes;

/// <summary>
/// The hidden ground-truth reward of the shapes world: how well an image shows its prompt, and how
/// well made it is, computed from pixels only. Defined for any image of at least 8×8 pixels
/// (generated, noisy, blank), continuous in the pixels, in [0, 1]. Clean renders score ≈ 0.98 (all above 0.95),
/// one flaw brings a render to about 0.2–0.8, blank and pure-noise images score below 0.25.
/// </summary>
/// <remarks>
/// <para>Measurements (see docs/shapes-world.md): background colour <c>bg</c> = per-channel median of the
/// outermost pixel ring; shape colour <c>fg</c> and a soft mask <c>m</c> (each pixel's position along the
/// bg→fg axis, ramped from 0.2 to 0.8); area fraction <c>a = Σm / (W·H)</c>, equal-area radius
/// <c>ρ = √(a/π)</c>; centroid offset <c>d</c> from the image centre (fractions of the side); edge width
/// <c>e = Σ4m(1−m) / Σ|∇m|</c> in 32-px pixels; noise <c>σ = median|Laplacian| / 0.754</c>; <c>IoU_k</c>
/// = soft IoU of m with shape k's template at the centroid with area Σm.</para>
/// <para>Components, with the prompt's palette colours <c>bg*</c>, <c>fg*</c> and shape <c>k*</c>:</para>
/// <list type="bullet">
/// <item>BackgroundColour = exp(−(|bg − bg*| / 0.2)²)</item>
/// <item>ShapeColour = exp(−(|fg − fg*| / 0.2)²)</item>
/// <item>ShapeType = logistic((IoU_k* − max_{k≠k*} IoU_k) / 0.03)</item>
/// <item>ShapeFit = IoU_k*</item>
/// <item>Centring = exp(−(d / 0.15)²)</item>
/// <item>Size = exp(−(ln(ρ / 0.25) / 0.35)²)</item>
/// <item>Sharpness = exp(−(max(0, e − 0.5) / 0.6)²)</item>
/// <item>Contrast = 1 − exp(−(q / 0.4)²), q = |fg − bg| / |fg* − bg*|</item>
/// <item>Noise = exp(−(σ / 0.05)²)</item>
/// </list>
/// <para>Score = Π cᵢ'^wᵢ with cᵢ' = 0.001 + 0.999·cᵢ (a soft floor, so one failed component lowers the
/// score a lot without erasing what the others say) and weights BackgroundColour 0.12, ShapeColour 0.16,
/// ShapeType 0.12, ShapeFit 0.10 (alignment, 0.5 in all) and 0.10 for each aesthetic component (0.5).</para>
/// </remarks>
public sealed class ShapesReward
{
    private const double ColourScale = 0.2;
    private const double ShapeTypeScale = 0.03;
    private const double CentringScale = 0.15;
    private const double IdealSize = 0.25;
    private const double SizeScale = 0.35;
    private const double SharpEdgeWidth = 0.5;
    private const double EdgeWidthScale = 0.6;
    private const double ContrastScale = 0.4;
    private const double NoiseScale = 0.05;
    private const double Floor = 0.001;

    /// <summary>
    /// Weights of the geometric mean, in <see cref="RewardBreakdown"/> component order; they sum to 1.
    /// </summary>
    public static IReadOnlyList<double> Weights { get; } = [0.12, 0.16, 0.12, 0.10, 0.10, 0.10, 0.10, 0.10, 0.10];

    /// <summary>The reward of <paramref name="image"/> for <paramref name="prompt"/>, in [0, 1].</summary>
    public double Score(ShapesPrompt prompt, RgbImage image) => Explain(prompt, image).Score;

    /// <summary>The reward and each of its components.</summary>
    public RewardBreakdown Explain(ShapesPrompt prompt, RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return Explain(prompt, ShapesImageAnalysis.Of(image));
    }

    internal static RewardBreakdown Explain(ShapesPrompt prompt, ShapesImageAnalysis a)
    {
        Rgb wantedBackground = ShapesVocabulary.Colour(prompt.Background);
        Rgb wantedShape = ShapesVocabulary.Colour(prompt.ShapeColour);

        double background = Gaussian(a.Background.DistanceTo(wantedBackground), ColourScale);
        double shapeColour = Gaussian(a.Foreground.DistanceTo(wantedShape), ColourScale);

        double fit = a.TemplateIou[(int)prompt.Shape];
        double bestOther = 0;
        for (int k = 0; k < a.TemplateIou.Length; k++)
            if (k != (int)prompt.Shape) bestOther = Math.Max(bestOther, a.TemplateIou[k]);
        double shapeType = 1 / (1 + Math.Exp(-(fit - bestOther) / ShapeTypeScale));

        double offset = Math.Sqrt(
            (a.CentroidX - 0.5) * (a.CentroidX - 0.5) + (a.CentroidY - 0.5) * (a.CentroidY - 0.5));
        double centring = Gaussian(offset, CentringScale);
        double radius = Math.Sqrt(a.AreaFraction / Math.PI);
        double size = radius > 1e-9 ? Gaussian(Math.Log(radius / IdealSize), SizeScale) : 0;
        double sharpness = Gaussian(Math.Max(0, a.EdgeWidth - SharpEdgeWidth), EdgeWidthScale);
        double relativeContrast = a.Contrast / wantedShape.DistanceTo(wantedBackground);
        double contrast = 1 - Gaussian(relativeContrast, ContrastScale);
        double noise = Gaussian(a.NoiseSigma, NoiseScale);

        double[] components = [background, shapeColour, shapeType, fit, centring, size, sharpness, contrast, noise];
        double logScore = 0;
        for (int i = 0; i < components.Length; i++) logScore += WeightedLogFactor(i, components[i]);
        return new RewardBreakdown(
            Math.Exp(logScore), background, shapeColour, shapeType, fit, centring, size, sharpness, contrast, noise);
    }

    /// <summary>Components 0–3 of <see cref="RewardBreakdown"/>: how well the image shows its prompt.</summary>
    public static IReadOnlyList<int> AlignmentComponents { get; } = [0, 1, 2, 3];

    /// <summary>Components 4–8 of <see cref="RewardBreakdown"/>: how well the image is made, whatever it shows.
    /// </summary>
    public static IReadOnlyList<int> AestheticsComponents { get; } = [4, 5, 6, 7, 8];

    /// <summary>
    /// The weighted geometric mean of some of the components (indices in <see cref="RewardBreakdown"/> order), with
    /// the score's weights renormalised over them and the same soft floor: <c>Π_{i∈S} cᵢ'^(wᵢ/W_S)</c>,
    /// <c>W_S = Σ_{i∈S} wᵢ</c>. The floor is applied to each component, as in the score, so for subsets that
    /// partition the components, <c>Score = Π_S PartScore(S)^W_S</c> holds exactly (up to rounding).
    /// </summary>
    /// <exception cref="ArgumentException">No components, or an index outside 0–8 or given twice.</exception>
    public static double PartScore(RewardBreakdown breakdown, IReadOnlyList<int> components)
    {
        ArgumentNullException.ThrowIfNull(breakdown);
        ArgumentNullException.ThrowIfNull(components);
        if (components.Count == 0 || components.Distinct().Count() != components.Count
            || components.Any(i => i < 0 || i >= Weights.Count))
            throw new ArgumentException(
                $"components must be distinct indices in 0..{Weights.Count - 1}, got [{string.Join(", ", components)}]",
                nameof(components));
        var values = breakdown.Components;
        double logScore = 0, weight = 0;
        foreach (int i in components)
        {
            logScore += WeightedLogFactor(i, values[i].Value);
            weight += Weights[i];
        }
        return Math.Exp(logScore / weight);
    }

    /// <summary>Component i's term of the log score: <c>wᵢ · ln(0.001 + 0.999·cᵢ)</c>.</summary>
    private static double WeightedLogFactor(int component, double value) =>
        Weights[component] * Math.Log(Floor + (1 - Floor) * value);

    private static double Gaussian(double x, double scale) => Math.Exp(-(x / scale) * (x / scale));
}
