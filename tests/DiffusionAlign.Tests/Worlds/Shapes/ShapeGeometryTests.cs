using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Worlds.Shapes;

public sealed class ShapeGeometryTests
{
    public static TheoryData<ShapeKind> Kinds => new(Enum.GetValues<ShapeKind>());

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryTemplateHasAreaPiAndCentroidAtTheOrigin(ShapeKind shape)
    {
        // Midpoint-rule area over a fine grid covering [-2, 2]².
        const int n = 800;
        double step = 4.0 / n, area = 0, mu = 0, mv = 0;
        for (int j = 0; j < n; j++)
            for (int i = 0; i < n; i++)
            {
                double u = -2 + (i + 0.5) * step, v = -2 + (j + 0.5) * step;
                if (!ShapeGeometry.Contains(shape, u, v)) continue;
                area += step * step;
                mu += u * step * step;
                mv += v * step * step;
            }
        Assert.Equal(Math.PI, area, 0.02);
        Assert.Equal(0, mu / area, 0.01);
        Assert.Equal(0, mv / area, 0.01);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SignedDistanceAgreesWithContainsAndExtent(ShapeKind shape)
    {
        var rng = new Random(3);
        for (int k = 0; k < 5000; k++)
        {
            double u = rng.NextDouble() * 4 - 2, v = rng.NextDouble() * 4 - 2;
            double d = ShapeGeometry.SignedDistance(shape, u, v);
            if (Math.Abs(d) < 1e-9) continue;
            Assert.Equal(ShapeGeometry.Contains(shape, u, v), d < 0);
            if (Math.Max(Math.Abs(u), Math.Abs(v)) > ShapeGeometry.Extent(shape) + 1e-9)
                Assert.False(ShapeGeometry.Contains(shape, u, v));
        }
    }

    [Fact]
    public void SignedDistancesAtHandPickedPoints()
    {
        double half = Math.Sqrt(Math.PI) / 2;
        Assert.Equal(1.0, ShapeGeometry.SignedDistance(ShapeKind.Circle, 2, 0), 12);
        Assert.Equal(-1.0, ShapeGeometry.SignedDistance(ShapeKind.Circle, 0, 0), 12);
        Assert.Equal(1 - half, ShapeGeometry.SignedDistance(ShapeKind.Square, 1, 0), 12);
        Assert.Equal(Math.Sqrt(2) * (1 - half), ShapeGeometry.SignedDistance(ShapeKind.Square, 1, 1), 12);
        Assert.Equal(-half, ShapeGeometry.SignedDistance(ShapeKind.Square, 0, 0), 12);

        // Equilateral triangle of area π: side s = √(4π/√3), apex 2h/3 above the centroid, base h/3 below.
        double side = Math.Sqrt(4 * Math.PI / Math.Sqrt(3)), height = side * Math.Sqrt(3) / 2;
        Assert.Equal(0, ShapeGeometry.SignedDistance(ShapeKind.Triangle, 0, -2 * height / 3), 9);
        Assert.Equal(0.5, ShapeGeometry.SignedDistance(ShapeKind.Triangle, 0, height / 3 + 0.5), 9);
        Assert.Equal(-height / 3, ShapeGeometry.SignedDistance(ShapeKind.Triangle, 0, 0), 9); // inradius
        Assert.Equal(1.0, ShapeGeometry.SignedDistance(ShapeKind.Triangle, 0, -2 * height / 3 - 1), 9);

        // Cross: arm tip at L, outer corner of the arm at (L, 0.3 L).
        double length = Math.Sqrt(Math.PI / 2.04);
        Assert.Equal(0.25, ShapeGeometry.SignedDistance(ShapeKind.Cross, length + 0.25, 0), 12);
        Assert.Equal(0.5 - 0.3 * length,
            ShapeGeometry.SignedDistance(ShapeKind.Cross, 0.5 * length + 0.5 * 0.3 * length, 0.5), 12);
    }
}
