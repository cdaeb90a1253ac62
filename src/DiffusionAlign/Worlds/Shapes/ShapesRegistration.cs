using System.Runtime.CompilerServices;
using DiffusionAlign.Text;

namespace DiffusionAlign.Worlds.Shapes;

/// <summary>Makes the shapes world's tokenizer known by name as soon as the library loads.</summary>
internal static class ShapesRegistration
{
    // A model folder whose config names "shapes" must load without the caller touching the shapes
    // world first; registering when the assembly loads is what guarantees that.
#pragma warning disable CA2255 // ModuleInitializer in a library: this registration is the intended use.
    [ModuleInitializer]
    internal static void Register() =>
        TokenizerRegistry.Register(ShapesTokenizer.RegistryName, () => new ShapesTokenizer());
#pragma warning restore CA2255
}
