using DiffusionAlign.IO;

namespace DiffusionAlign.Tests.Distributed;

/// <summary>Weights of safetensors files as plain arrays, to compare the models two runs wrote.</summary>
public static class WeightFiles
{
    /// <summary>Every tensor of <paramref name="path"/> by name, as floats.</summary>
    public static Dictionary<string, float[]> Read(string path)
    {
        var tensors = SafetensorsFile.Read(path);
        try
        {
            return tensors.ToDictionary(kv => kv.Key, kv => kv.Value.contiguous().data<float>().ToArray());
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Every weight's absolute difference between <paramref name="a"/> and <paramref name="b"/> (which must hold the
    /// same names), smallest first.
    /// </summary>
    public static double[] Differences(Dictionary<string, float[]> a, Dictionary<string, float[]> b)
    {
        Assert.Equal(b.Keys.Order(), a.Keys.Order());
        var all = a.Keys.SelectMany(k => a[k].Zip(b[k], (x, y) => Math.Abs((double)x - y))).ToArray();
        Array.Sort(all);
        return all;
    }

    /// <summary>The value below which a share <paramref name="q"/> of sorted <paramref name="values"/> lies.</summary>
    public static double Quantile(double[] values, double q) =>
        values[Math.Min(values.Length - 1, (int)(q * values.Length))];
}
