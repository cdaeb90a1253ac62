using DiffusionAlign.Text;
using DiffusionAlign.Worlds.Shapes;

namespace DiffusionAlign.Tests.Text;

public sealed class TokenizerRegistryTests
{
    [Fact]
    public void TheShapesTokenizerIsKnownByTheNameModelConfigsGive()
    {
        Assert.Contains(ShapesTokenizer.RegistryName, TokenizerRegistry.Names);
        Assert.IsType<ShapesTokenizer>(TokenizerRegistry.Create(ShapesTokenizer.RegistryName));
    }

    [Fact]
    public void AnUnknownNameIsAUserErrorListingTheKnownOnes()
    {
        var error = Assert.Throws<DiffusionAlignException>(() => TokenizerRegistry.Create("no-such-tokenizer"));
        Assert.Contains("no-such-tokenizer", error.Message);
        Assert.Contains(ShapesTokenizer.RegistryName, error.Message);
    }

    [Fact]
    public void ACallerCanRegisterItsOwnTokenizer()
    {
        TokenizerRegistry.Register("test-registry-shapes", () => new ShapesTokenizer());
        Assert.IsType<ShapesTokenizer>(TokenizerRegistry.Create("test-registry-shapes"));
    }
}
