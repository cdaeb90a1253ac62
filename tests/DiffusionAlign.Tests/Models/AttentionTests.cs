using DiffusionAlign.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Models;

public sealed class AttentionTests
{
    private static double Sigmoid(double x) => 1.0 / (1.0 + Math.Exp(-x));

    [Fact]
    public void OneHeadSelfAttentionMatchesTheSoftmaxFormula()
    {
        using var attention = new Attention(queryDim: 2, crossAttentionDim: null, heads: 1, headDim: 2);
        float[] identity = [1, 0, 0, 1];
        ModuleWeights.Set(attention,
            ("to_q.weight", identity), ("to_k.weight", identity), ("to_v.weight", identity),
            ("to_out.0.weight", identity), ("to_out.0.bias", [0, 0]));
        using var tokens = torch.tensor(new float[] { 1, 0, 0, 1 }).reshape(1, 2, 2);

        using var output = attention.forward(tokens, null);

        // Scores q·k/√2 are 1/√2 on the diagonal and 0 off it, so token 0 keeps weight σ(1/√2) on itself.
        var p = (float)Sigmoid(1 / Math.Sqrt(2));
        Assert.Equal(new[] { p, 1 - p, 1 - p, p }, ModuleWeights.Values(output), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void EachHeadOwnsAContiguousSliceOfChannels()
    {
        using var attention = new Attention(queryDim: 4, crossAttentionDim: null, heads: 2, headDim: 2);
        float[] identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
        ModuleWeights.Set(attention,
            ("to_q.weight", identity), ("to_k.weight", identity), ("to_v.weight", identity),
            ("to_out.0.weight", identity), ("to_out.0.bias", [0, 0, 0, 0]));
        // Token 0 lives in head 0's channels (0, 1), token 1 in head 1's channels (2, 3).
        using var tokens = torch.tensor(new float[] { 1, 0, 0, 0, /**/ 0, 0, 1, 0 }).reshape(1, 2, 4);

        using var output = attention.forward(tokens, null);

        // In its own head a token has score 1/√2 on itself and 0 on the other (zero) token: weight σ(1/√2)
        // on value 1. In the other head its query is zero, so it averages the values: 0.5.
        // Interleaved channels (head h = channels h, h + 2) would give a different answer.
        var p = (float)Sigmoid(1 / Math.Sqrt(2));
        Assert.Equal(new[] { p, 0, 0.5f, 0, /**/ 0.5f, 0, p, 0 }, ModuleWeights.Values(output),
            new FloatTolerance(1e-6f));
    }

    [Fact]
    public void CrossAttentionReadsKeysAndValuesFromTheContext()
    {
        using var attention = new Attention(queryDim: 2, crossAttentionDim: 3, heads: 1, headDim: 1);
        ModuleWeights.Set(attention,
            ("to_q.weight", [1, 0]), ("to_k.weight", [0, 0, 1]), ("to_v.weight", [1, 0, 0]),
            ("to_out.0.weight", [1, 2]), ("to_out.0.bias", [0.5f, -0.5f]));
        using var hidden = torch.tensor(new float[] { 2, 7 }).reshape(1, 1, 2);
        using var context = torch.tensor(new float[] { 1, 0, 0, 2, 0, 1, 3, 0, -1 }).reshape(1, 3, 3);

        using var output = attention.forward(hidden, context);

        // q = 2, keys [0, 1, −1], values [1, 2, 3], head width 1 → weights softmax([0, 2, −2]).
        double[] e = [1, Math.Exp(2), Math.Exp(-2)];
        var attended = (e[0] * 1 + e[1] * 2 + e[2] * 3) / e.Sum();
        Assert.Equal(new[] { (float)(attended + 0.5), (float)(2 * attended - 0.5) }, ModuleWeights.Values(output),
            new FloatTolerance(1e-5f));
    }

    [Fact]
    public void QueryKeyAndValueProjectionsHaveNoBias()
    {
        using var attention = new Attention(queryDim: 8, crossAttentionDim: 6, heads: 2, headDim: 4);
        var names = attention.state_dict().Keys.Order().ToArray();
        Assert.Equal(["to_k.weight", "to_out.0.bias", "to_out.0.weight", "to_q.weight", "to_v.weight"], names);
    }
}

/// <summary>Compares floats within an absolute tolerance.</summary>
internal sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
{
    public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

    public int GetHashCode(float obj) => 0;
}
