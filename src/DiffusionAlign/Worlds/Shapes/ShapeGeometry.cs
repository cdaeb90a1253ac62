namespace DiffusionAlign.Worlds.Shapes;

/// <summary>
/// The four shape templates in "unit" coordinates: every template has area π (the area of the
/// unit circle) and its centroid at the origin, so a shape of radius r covers π r² whatever its
/// kind, and a shape drawn at a point has its centre of mass there. Image axes: u right, v down.
/// </summary>
/// <remarks>
/// Circle: radius 1. Square: half-side √π/2. Triangle: equilateral, apex up, side √(4π/√3).
/// Cross: a plus of two bars with half-length L and half-width 0.3·L, L = √(π/2.04).
/// The renderer anti-aliases by supersampling <see cref="Contains"/>; the reward fits templates
/// with <see cref="SignedDistance"/>, so the two are independent descriptions of the same sets.
/// </remarks>
public static class ShapeGeometry
{
    private static readonly double Sqrt3 = Math.Sqrt(3);

    /// <summary>Half-side of the square.</summary>
    public static readonly double SquareHalfSide = Math.Sqrt(Math.PI) / 2;

    /// <summary>Side of the equilateral triangle.</summary>
    public static readonly double TriangleSide = Math.Sqrt(4 * Math.PI / Math.Sqrt(3));

    /// <summary>Half-length of each bar of the cross.</summary>
    public static readonly double CrossHalfLength = Math.Sqrt(Math.PI / 2.04);

    /// <summary>Half-width of each bar of the cross (30% of its half-length).</summary>
    public static readonly double CrossHalfWidth = 0.3 * CrossHalfLength;

    private static readonly double TriangleHeight = TriangleSide * Sqrt3 / 2;

    /// <summary>The largest |u| or |v| of any point of the template (a bounding half-box).</summary>
    public static double Extent(ShapeKind shape) => shape switch
    {
        ShapeKind.Circle => 1.0,
        ShapeKind.Square => SquareHalfSide,
        ShapeKind.Triangle => 2 * TriangleHeight / 3, // apex distance from the centroid; exceeds half the side
        ShapeKind.Cross => CrossHalfLength,
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    /// <summary>True if (u, v) lies inside the template.</summary>
    public static bool Contains(ShapeKind shape, double u, double v)
    {
        switch (shape)
        {
            case ShapeKind.Circle:
                return u * u + v * v <= 1.0;
            case ShapeKind.Square:
                return Math.Abs(u) <= SquareHalfSide && Math.Abs(v) <= SquareHalfSide;
            case ShapeKind.Triangle:
                // Apex at v = -2h/3, base at v = +h/3; the half-width grows linearly from apex to base.
                double fromApex = v + 2 * TriangleHeight / 3;
                return fromApex >= 0 && v <= TriangleHeight / 3
                    && Math.Abs(u) <= TriangleSide / 2 * fromApex / TriangleHeight;
            case ShapeKind.Cross:
                double au = Math.Abs(u), av = Math.Abs(v);
                return (au <= CrossHalfLength && av <= CrossHalfWidth)
                    || (au <= CrossHalfWidth && av <= CrossHalfLength);
            default:
                throw new ArgumentOutOfRangeException(nameof(shape));
        }
    }

    /// <summary>
    /// Signed distance from (u, v) to the template's outline: negative inside, positive outside.
    /// Exact outside for every shape and exact inside except the cross, where it never
    /// overstates the true depth (a union of two boxes).
    /// </summary>
    public static double SignedDistance(ShapeKind shape, double u, double v) => shape switch
    {
        ShapeKind.Circle => Math.Sqrt(u * u + v * v) - 1.0,
        ShapeKind.Square => BoxDistance(u, v, SquareHalfSide, SquareHalfSide),
        ShapeKind.Triangle => TriangleDistance(u, v),
        ShapeKind.Cross => Math.Min(
            BoxDistance(u, v, CrossHalfLength, CrossHalfWidth), BoxDistance(u, v, CrossHalfWidth, CrossHalfLength)),
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    private static double BoxDistance(double u, double v, double halfU, double halfV)
    {
        double du = Math.Abs(u) - halfU, dv = Math.Abs(v) - halfV;
        double ou = Math.Max(du, 0), ov = Math.Max(dv, 0);
        return Math.Sqrt(ou * ou + ov * ov) + Math.Min(Math.Max(du, dv), 0);
    }

    private static double TriangleDistance(double u, double v)
    {
        // Inigo Quilez's exact equilateral-triangle distance (y up, centroid at origin), with v flipped
        // because image rows grow downwards and our triangle points up.
        double r = TriangleSide / 2;
        double px = Math.Abs(u) - r, py = -v + r / Sqrt3;
        if (px + Sqrt3 * py > 0) (px, py) = ((px - Sqrt3 * py) / 2, (-Sqrt3 * px - py) / 2);
        px -= Math.Clamp(px, -2 * r, 0);
        double length = Math.Sqrt(px * px + py * py);
        return py > 0 ? -length : length;
    }
}
