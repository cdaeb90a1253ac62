using System.Globalization;
using System.Net;

namespace DiffusionAlign.Evaluation.Reports;

/// <summary>Number and HTML text formatting for the report: invariant culture, a dash for a missing value.</summary>
internal static class Format
{
    public const string Missing = "—";

    /// <summary>HTML-encodes text read from files, for element content and quoted attribute values alike.</summary>
    public static string Html(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A value of unknown meaning: whole numbers as such, others to four significant digits.</summary>
    public static string Number(double value) =>
        double.IsFinite(value) && value == Math.Floor(value) && Math.Abs(value) < 1e15
            ? value.ToString("0", CultureInfo.InvariantCulture)
            : value.ToString("G4", CultureInfo.InvariantCulture);

    public static string Fixed(double? value, int decimals) =>
        value is double v ? v.ToString("F" + decimals, CultureInfo.InvariantCulture) : Missing;

    /// <summary><c>0.625 [0.500, 0.750]</c>; the interval is left out where either end is missing.</summary>
    public static string WithInterval(double? value, double? low, double? high, int decimals) =>
        value is null ? Missing
        : low is null || high is null ? Fixed(value, decimals)
        : $"{Fixed(value, decimals)} [{Fixed(low, decimals)}, {Fixed(high, decimals)}]";

    public static string Count(int? value) =>
        value is int v ? v.ToString(CultureInfo.InvariantCulture) : Missing;

    public static string Time(DateTime utc) =>
        utc.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
