namespace DiffusionAlign.Worlds.Shapes;

/// <summary>
/// A mistake of the kind a weak image generator makes. <see cref="ShapesRenderer.SampleParams"/>
/// applies one (sometimes two) to a render so that preference pairs have a better and a worse image.
/// </summary>
public enum RenderFlaw
{
    /// <summary>The shape sits well away from the centre but stays (mostly) in the frame.</summary>
    OffCentre,

    /// <summary>The shape's centre is near an edge or corner, cutting off a large part of it.</summary>
    OutOfFrame,

    /// <summary>The shape (usually) or the background is painted in another vocabulary colour.</summary>
    WrongColour,

    /// <summary>Colours are desaturated and veiled by a light haze, as if over-exposed.</summary>
    WashedOut,

    /// <summary>The whole image is out of focus (Gaussian blur of 1.3–2.4 px at 32×32).</summary>
    Blur,

    /// <summary>The shape colour is pulled most of the way towards the background.</summary>
    LowContrast,

    /// <summary>Strong per-pixel Gaussian noise, as left by too few sampling steps.</summary>
    Noise,

    /// <summary>The shape is a fraction of its usual size.</summary>
    TooSmall,

    /// <summary>The shape is so large it fills the frame and is cut off by the edges.</summary>
    TooLarge,

    /// <summary>Another shape than the prompt's is drawn.</summary>
    WrongShape,
}
