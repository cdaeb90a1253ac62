using System.Buffers;
using DiffusionAlign.Imaging;

namespace DiffusionAlign.Worlds.Shapes;

/// <summary>
/// What the reward and the inspector measure in an image, from pixels only: background and shape
/// colour, a soft foreground mask's area and centroid, edge width, noise level, and how well each
/// shape template fits the mask. Works on any image of at least 8×8 pixels, including blank or
/// pure-noise ones; every quantity is a continuous function of the pixels.
/// </summary>
/// <param name="Background">Per-channel median of the outermost ring of pixels.</param>
/// <param name="Foreground">Mean colour of the mask, weighted by mask⁴ so edge pixels count little.</param>
/// <param name="AreaFraction">Sum of the soft mask divided by the pixel count.</param>
/// <param name="CentroidX">Mask centroid as a fraction of the width (0.5 when the mask is empty).</param>
/// <param name="CentroidY">Mask centroid as a fraction of the height.</param>
/// <param name="EdgeWidth">Σ 4m(1−m) / Σ|∇m| in pixels of a 32-pixel side: ≈ 0.25–0.65 for a sharp
/// anti-aliased outline, ≈ 0.2 + 0.85·σ under a Gaussian blur of σ pixels.</param>
/// <param name="NoiseSigma">Robust noise estimate: median |discrete Laplacian| / (0.6745·√1.25), exact for i.i.d.
/// Gaussian noise on flat regions.</param>
/// <param name="TemplateIou">Soft IoU of the mask with each <see cref="ShapeKind"/> template placed at the centroid
/// with the mask's area, indexed by kind.</param>
internal sealed record ShapesImageAnalysis(
    Rgb Background,
    Rgb Foreground,
    double AreaFraction,
    double CentroidX,
    double CentroidY,
    double EdgeWidth,
    double NoiseSigma,
    double[] TemplateIou)
{
    /// <summary>Below this minimum side the border, Laplacian and template statistics are meaningless.</summary>
    public const int MinimumSide = 8;

    /// <summary>Projection onto the background→foreground axis below this is background…</summary>
    private const float MaskLow = 0.2f;

    /// <summary>
    /// …and above this is shape; the ramp between them keeps the mask continuous and anti-aliased edges unbiased.
    /// </summary>
    private const float MaskHigh = 0.8f;

    public double Contrast => Foreground.DistanceTo(Background);

    public static ShapesImageAnalysis Of(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int w = image.Width, h = image.Height, n = w * h;
        if (w < MinimumSide || h < MinimumSide)
            throw new DiffusionAlignException(
                $"the shapes reward needs images of at least {MinimumSide}x{MinimumSide} pixels, got {w}x{h}");

        float[] pixels = ArrayPool<float>.Shared.Rent(3 * n);
        float[] mask = ArrayPool<float>.Shared.Rent(n);
        float[] scratch = ArrayPool<float>.Shared.Rent(Math.Max(2 * (w + h), 3 * (w - 2) * (h - 2)));
        try
        {
            // Generated images may stray outside [0, 1] or even be NaN; score what a viewer would see.
            float[] source = image.Pixels;
            for (int i = 0; i < 3 * n; i++)
            {
                float v = source[i];
                pixels[i] = float.IsNaN(v) ? 0f : Math.Clamp(v, 0f, 1f);
            }

            Rgb background = BorderMedian(pixels, w, h, scratch);
            Rgb foreground = FarthestColour(pixels, n, background);
            Mask(pixels, n, background, foreground, mask);
            foreground = MaskedMean(pixels, n, mask, foreground);
            Mask(pixels, n, background, foreground, mask);

            double area = 0, sx = 0, sy = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    float m = mask[y * w + x];
                    area += m;
                    sx += m * (x + 0.5);
                    sy += m * (y + 0.5);
                }
            double cx = area > 1e-6 ? sx / area : w / 2.0, cy = area > 1e-6 ? sy / area : h / 2.0;

            double edgeWidth = EdgeWidthPixels(mask, w, h) * 32.0 / Math.Min(w, h);
            double noise = NoiseEstimate(pixels, w, h, scratch);
            var iou = new double[ShapesVocabulary.Shapes.Count];
            foreach (ShapeKind shape in ShapesVocabulary.Shapes)
                iou[(int)shape] = TemplateFit(mask, w, h, area, cx, cy, shape);

            return new ShapesImageAnalysis(background, foreground, area / n, cx / w, cy / h, edgeWidth, noise, iou);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(pixels);
            ArrayPool<float>.Shared.Return(mask);
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    private static Rgb BorderMedian(float[] pixels, int w, int h, float[] scratch)
    {
        Span<float> medians = stackalloc float[3];
        for (int c = 0; c < 3; c++)
        {
            int k = 0;
            for (int x = 0; x < w; x++)
            {
                scratch[k++] = pixels[3 * x + c];
                scratch[k++] = pixels[3 * ((h - 1) * w + x) + c];
            }
            for (int y = 1; y < h - 1; y++)
            {
                scratch[k++] = pixels[3 * (y * w) + c];
                scratch[k++] = pixels[3 * (y * w + w - 1) + c];
            }
            medians[c] = Median(scratch.AsSpan(0, k));
        }
        return new Rgb(medians[0], medians[1], medians[2]);
    }

    /// <summary>
    /// First guess of the shape colour: the mean weighted by (distance
    /// to background)⁴, dominated by the most distinct pixels.
    /// </summary>
    private static Rgb FarthestColour(float[] pixels, int n, Rgb background)
    {
        double sw = 0, sr = 0, sg = 0, sb = 0;
        for (int i = 0; i < n; i++)
        {
            float r = pixels[3 * i], g = pixels[3 * i + 1], b = pixels[3 * i + 2];
            double dr = r - background.R, dg = g - background.G, db = b - background.B;
            double d2 = dr * dr + dg * dg + db * db, weight = d2 * d2;
            sw += weight; sr += weight * r; sg += weight * g; sb += weight * b;
        }
        return sw > 1e-12 ? new Rgb((float)(sr / sw), (float)(sg / sw), (float)(sb / sw)) : background;
    }

    private static Rgb MaskedMean(float[] pixels, int n, float[] mask, Rgb fallback)
    {
        double sw = 0, sr = 0, sg = 0, sb = 0;
        for (int i = 0; i < n; i++)
        {
            double m2 = mask[i] * mask[i], weight = m2 * m2;
            sw += weight;
            sr += weight * pixels[3 * i]; sg += weight * pixels[3 * i + 1]; sb += weight * pixels[3 * i + 2];
        }
        return sw > 1e-9 ? new Rgb((float)(sr / sw), (float)(sg / sw), (float)(sb / sw)) : fallback;
    }

    /// <summary>
    /// Soft mask: each pixel's position along the background→foreground
    /// axis, ramped from <see cref="MaskLow"/> to <see cref="MaskHigh"/>.
    /// </summary>
    private static void Mask(float[] pixels, int n, Rgb background, Rgb foreground, float[] mask)
    {
        float ar = foreground.R - background.R, ag = foreground.G - background.G, ab = foreground.B - background.B;
        float length2 = ar * ar + ag * ag + ab * ab;
        if (length2 < 1e-8f)
        {
            Array.Clear(mask, 0, n);
            return;
        }
        for (int i = 0; i < n; i++)
        {
            float t = ((pixels[3 * i] - background.R) * ar
                + (pixels[3 * i + 1] - background.G) * ag
                + (pixels[3 * i + 2] - background.B) * ab) / length2;
            mask[i] = Math.Clamp((t - MaskLow) / (MaskHigh - MaskLow), 0f, 1f);
        }
    }

    /// <summary>Mean width of the mask's transition zone: how many pixels the outline is smeared over.</summary>
    private static double EdgeWidthPixels(float[] mask, int w, int h)
    {
        double fuzz = 0, variation = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float m = mask[y * w + x];
                fuzz += 4 * m * (1 - m);
                float gx = x + 1 < w ? mask[y * w + x + 1] - m : 0;
                float gy = y + 1 < h ? mask[(y + 1) * w + x] - m : 0;
                variation += Math.Sqrt(gx * gx + gy * gy);
            }
        // The small constants make an empty mask read as a sharp one (its other components are what fail).
        return (fuzz + 1e-3) / (variation + 2.5e-3);
    }

    private static double NoiseEstimate(float[] pixels, int w, int h, float[] scratch)
    {
        int k = 0;
        for (int y = 1; y < h - 1; y++)
            for (int x = 1; x < w - 1; x++)
            {
                int i = 3 * (y * w + x);
                for (int c = 0; c < 3; c++)
                {
                    float neighbours = pixels[i - 3 + c] + pixels[i + 3 + c]
                        + pixels[i - 3 * w + c] + pixels[i + 3 * w + c];
                    scratch[k++] = Math.Abs(pixels[i + c] - 0.25f * neighbours);
                }
            }
        // For i.i.d. N(0, σ²) noise the Laplacian above is N(0, 1.25σ²), and median |N(0, s²)| = 0.6745·s.
        return Median(scratch.AsSpan(0, k)) / (0.6745 * Math.Sqrt(1.25));
    }

    /// <summary>
    /// Soft IoU Σmin(m, T) / Σmax(m, T) of the mask m with the anti-aliased template T of equal area at the centroid.
    /// </summary>
    private static double TemplateFit(float[] mask, int w, int h, double area, double cx, double cy, ShapeKind shape)
    {
        double radius = Math.Max(Math.Sqrt(area / Math.PI), 0.5);
        double extent = ShapeGeometry.Extent(shape) * radius + 1;
        int x0 = Math.Max(0, (int)Math.Floor(cx - extent)), x1 = Math.Min(w - 1, (int)Math.Ceiling(cx + extent));
        int y0 = Math.Max(0, (int)Math.Floor(cy - extent)), y1 = Math.Min(h - 1, (int)Math.Ceiling(cy + extent));
        // Outside the template's box T = 0, so there Σmax(m, T) is just the mask's own sum.
        double intersection = 0, union = area;
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
            {
                double distance = ShapeGeometry.SignedDistance(
                    shape, (x + 0.5 - cx) / radius, (y + 0.5 - cy) / radius) * radius;
                double t = Math.Clamp(0.5 - distance, 0, 1);
                float m = mask[y * w + x];
                intersection += Math.Min(m, t);
                union += Math.Max(m - t, 0) + t - m; // max(m, t) − m
            }
        return union > 1e-9 ? intersection / union : 0;
    }

    /// <summary>
    /// Median by in-place quickselect (reorders the span); the mean of the two middle values for even lengths.
    /// </summary>
    private static float Median(Span<float> values)
    {
        int n = values.Length, mid = n / 2;
        float upper = Select(values, mid);
        if (n % 2 == 1) return upper;
        // After selecting, every value left of mid is ≤ values[mid]; the lower middle is their maximum.
        float lower = float.MinValue;
        for (int i = 0; i < mid; i++) lower = Math.Max(lower, values[i]);
        return 0.5f * (lower + upper);
    }

    private static float Select(Span<float> values, int k)
    {
        int lo = 0, hi = values.Length - 1;
        while (lo < hi)
        {
            float pivot = values[lo + (hi - lo) / 2];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (values[i] < pivot) i++;
                while (values[j] > pivot) j--;
                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else return values[k];
        }
        return values[k];
    }
}
