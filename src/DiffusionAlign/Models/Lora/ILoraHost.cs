using TorchSharp.Modules;

namespace DiffusionAlign.Models.Lora;

/// <summary>
/// An attention module whose linear projections can carry LoRA adapters (<see cref="Attention"/>,
/// <see cref="ClipAttention"/>). It adds <see cref="Lora"/>'s updates in its forward pass.
/// </summary>
internal interface ILoraHost
{
    /// <summary>The adaptable projections, by checkpoint name relative to the module (<c>to_out.0</c>).</summary>
    IReadOnlyList<(string Name, Linear Layer)> Projections { get; }

    /// <summary>The adapters in use; null when none (the module is then exactly its checkpoint's layout).</summary>
    ProjectionAdapters? Lora { get; set; }
}
