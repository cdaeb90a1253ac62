using DiffusionAlign.Mixing;

namespace DiffusionAlign.Tests.Mixing;

public sealed class MixtureWeightsTests
{
    [Fact]
    public void GivenWeightsAreNormalisedAndRoundTrip()
    {
        var w = MixtureWeights.Parse("3, 1", 2);
        Assert.Equal([0.75, 0.25], w.Values);
        Assert.Equal(w.Values, MixtureWeights.Parse(w.ToString(), 2).Values);
        Assert.Equal([0.5, 0.5], MixtureWeights.Uniform(2).Values);
        Assert.Equal([0, 1, 0], MixtureWeights.Vertex(3, 1).Values);
        var toward = w.Toward(1, 0.2);
        Assert.Equal(0.75 * 0.8, toward[0], 12);
        Assert.Equal(0.25 * 0.8 + 0.2, toward[1], 12);
    }

    [Theory]
    [InlineData("0.5,-0.5", "must be finite numbers >= 0, got -0.5 (weight 2)")]
    [InlineData("1", "give 2 comma-separated weights (one per policy), got 1")]
    [InlineData("1,2,3", "got 3")]
    [InlineData("a,1", "weight 'a' in 'a,1' is not a number")]
    [InlineData("0,0", "all zero")]
    [InlineData("NaN,1", "must be finite numbers >= 0")]
    public void BadWeightsAreOneLineUserErrors(string text, string fragment)
    {
        var e = Assert.Throws<DiffusionAlignException>(() => MixtureWeights.Parse(text, 2));
        Assert.Contains(fragment, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
