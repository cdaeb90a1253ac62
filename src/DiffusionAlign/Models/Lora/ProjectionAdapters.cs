using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Models.Lora;

/// <summary>
/// The LoRA adapters of one attention module, keyed by the projection they wrap (<c>to_q</c>, <c>to_out.0</c>).
/// The module registers it under <see cref="ModuleName"/>, so adapter weights are named e.g.
/// <c>attn1.lora.to_out_0.up.weight</c> beside the untouched <c>attn1.to_out.0.weight</c>.
/// </summary>
internal sealed class ProjectionAdapters : nn.Module
{
    /// <summary>The submodule name under an attention module; no checkpoint name has this segment.</summary>
    public const string ModuleName = "lora";

    // Not a module field, so RegisterComponents leaves it alone; each adapter is registered by Add.
    private readonly Dictionary<string, LoraAdapter> byProjection = new();

    public ProjectionAdapters() : base(nameof(ProjectionAdapters)) { }

    /// <summary>The adapters in the order they were added, with the projection each wraps.</summary>
    public IEnumerable<(string Projection, LoraAdapter Adapter)> Items =>
        byProjection.Select(kv => (kv.Key, kv.Value));

    public void Add(string projection, LoraAdapter adapter)
    {
        byProjection.Add(projection, adapter);
        // Submodule names cannot contain '.'.
        register_module(projection.Replace('.', '_'), adapter);
    }

    /// <summary>
    /// <paramref name="layer"/>'s output plus, if <paramref name="adapters"/> has an enabled adapter for
    /// <paramref name="projection"/>, that adapter's update. Without one it is exactly <c>layer.forward</c>.
    /// </summary>
    public static Tensor Forward(ProjectionAdapters? adapters, string projection, nn.Module<Tensor, Tensor> layer,
        Tensor input)
    {
        var output = layer.forward(input);
        if (adapters is null || !adapters.byProjection.TryGetValue(projection, out var adapter) || !adapter.Enabled)
            return output;
        using var update = adapter.forward(input);
        return TensorSum.Add(output, update);
    }
}
