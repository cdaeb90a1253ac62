using System.Globalization;

namespace DiffusionAlign.Bench.Machine;

/// <summary>
/// The system's load averages over 1, 5 and 15 minutes (/proc/loadavg, Linux); null elsewhere. On a
/// 2-core machine a load above 2 means other processes share the cores, so timings taken then are slow.
/// </summary>
public static class LoadAverage
{
    public static double[]? Read()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Take(3).Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
