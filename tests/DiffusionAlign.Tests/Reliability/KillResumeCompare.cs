using DiffusionAlign.IO;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// What differs between an interrupted-and-resumed run's --out and an uninterrupted run's: the final weights byte
/// for byte, and metrics.jsonl holding each step exactly once, in order. Null when nothing does.
/// </summary>
public static class KillResumeCompare
{
    public static string? Runs(string expectedOut, string actualOut, int steps, bool hasMetrics)
    {
        var problems = new List<string>();
        if (Weights(Path.Combine(expectedOut, "model.safetensors"), Path.Combine(actualOut, "model.safetensors"))
            is { } weights)
            problems.Add(weights);
        if (hasMetrics && Metrics(actualOut, steps) is { } metrics) problems.Add(metrics);
        return problems.Count == 0 ? null : $"{actualOut}: {string.Join("; ", problems)}";
    }

    /// <summary>
    /// Compares tensors, not files: the header's provenance names the command line, which --resume changes.
    /// </summary>
    public static string? Weights(string expectedFile, string actualFile)
    {
        var expected = SafetensorsFile.Read(expectedFile);
        var actual = SafetensorsFile.Read(actualFile);
        try
        {
            if (!expected.Keys.Order().SequenceEqual(actual.Keys.Order()))
                return "the weights have other tensor names";
            foreach (var (name, e) in expected)
            {
                var a = actual[name];
                if (a.dtype != e.dtype || !a.shape.SequenceEqual(e.shape))
                    return $"{name} has dtype/shape {a.dtype} {string.Join('x', a.shape)}, not {e.dtype} "
                        + string.Join('x', e.shape);
                if (!a.contiguous().bytes.SequenceEqual(e.contiguous().bytes))
                    return $"{name} differs (max |Δ| {MaxDifference(a, e):G3})";
            }
            return null;
        }
        finally
        {
            foreach (var t in expected.Values.Concat(actual.Values)) t.Dispose();
        }
    }

    private static double MaxDifference(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return (a.to_type(float64) - b.to_type(float64)).abs().max().item<double>();
    }

    /// <summary>Each step 1..steps exactly once, in order.</summary>
    public static string? Metrics(string outDir, int steps)
    {
        var logged = KillResumeFolder.MetricsSteps(outDir);
        return logged.SequenceEqual(Enumerable.Range(1, steps))
            ? null
            : $"metrics.jsonl has steps [{string.Join(',', logged)}], not 1..{steps} once each";
    }
}
