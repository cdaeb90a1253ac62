namespace DiffusionAlign.Evaluation;

/// <summary>
/// Student's t distribution, for confidence intervals of means from few samples (a handful of seeds or
/// prompts), where the normal quantile 1.96 would understate the uncertainty.
/// </summary>
public static class StudentT
{
    /// <summary>
    /// P(T ≤ t) for <paramref name="degreesOfFreedom"/> ν &gt; 0:
    /// <c>1 − ½·I_{ν/(ν+t²)}(ν/2, ½)</c> for t ≥ 0, by symmetry otherwise.
    /// </summary>
    public static double Cdf(double t, double degreesOfFreedom)
    {
        CheckDegreesOfFreedom(degreesOfFreedom);
        if (double.IsNaN(t)) return double.NaN;
        if (double.IsPositiveInfinity(t)) return 1;
        if (double.IsNegativeInfinity(t)) return 0;
        double nu = degreesOfFreedom;
        double tail = 0.5 * RegularizedIncompleteBeta(nu / 2, 0.5, nu / (nu + t * t));
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>
    /// The <paramref name="p"/>-quantile, found by bisection on <see cref="Cdf"/> (monotone, so this cannot miss).
    /// </summary>
    public static double Quantile(double p, double degreesOfFreedom)
    {
        CheckDegreesOfFreedom(degreesOfFreedom);
        if (!(p > 0 && p < 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, "p must lie strictly between 0 and 1");
        if (p < 0.5) return -Quantile(1 - p, degreesOfFreedom);
        if (p == 0.5) return 0;
        double lo = 0, hi = 1;
        while (Cdf(hi, degreesOfFreedom) < p) { lo = hi; hi *= 2; }
        for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; i++)
        {
            double mid = 0.5 * (lo + hi);
            if (Cdf(mid, degreesOfFreedom) < p) lo = mid; else hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    private static void CheckDegreesOfFreedom(double nu)
    {
        if (!(nu > 0) || double.IsInfinity(nu))
            throw new ArgumentOutOfRangeException(nameof(nu), nu, "degrees of freedom must be positive and finite");
    }

    /// <summary>
    /// I_x(a, b) by its continued fraction (modified Lentz), using the symmetry that makes it converge fast.
    /// </summary>
    private static double RegularizedIncompleteBeta(double a, double b, double x)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        double front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x));
        return x < (a + 1) / (a + b + 2)
            ? front * BetaContinuedFraction(a, b, x) / a
            : 1 - front * BetaContinuedFraction(b, a, 1 - x) / b;
    }

    private static double BetaContinuedFraction(double a, double b, double x)
    {
        const double tiny = 1e-300;
        double c = 1, d = 1 - (a + b) * x / (a + 1);
        if (Math.Abs(d) < tiny) d = tiny;
        d = 1 / d;
        double h = d;
        for (int m = 1; m <= 10_000; m++)
        {
            int m2 = 2 * m;
            double even = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + even * d; if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + even / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            h *= d * c;
            double odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + odd * d; if (Math.Abs(d) < tiny) d = tiny;
            c = 1 + odd / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            double step = d * c;
            h *= step;
            if (Math.Abs(step - 1) < 1e-15) break;
        }
        return h;
    }

    /// <summary>log Γ(x) for x &gt; 0 by the Lanczos approximation (g = 7, 9 terms; ~15 significant digits).</summary>
    private static double LogGamma(double x)
    {
        ReadOnlySpan<double> coefficients =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x); // reflection
        x -= 1;
        double sum = coefficients[0];
        for (int i = 1; i < coefficients.Length; i++) sum += coefficients[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}
