using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Part = DiffusionAlign.Models.Lora.DiffusersLoraKeys.Part;

namespace DiffusionAlign.Models.Lora;

/// <summary>
/// LoRA on a module tree: adds adapters to the attention projections of every <see cref="Attention"/> (and
/// <see cref="ClipAttention"/>) under a root, switches them off to recover the base model without a second
/// copy, lists their parameters, merges them into the base weights, and reads and writes diffusers' LoRA files.
/// Base parameter names never change; adapter parameters sit beside them under a <c>lora</c> segment
/// (<see cref="IsAdapterParameter"/>).
/// </summary>
public static class LoraAdapters
{
    /// <summary>The file diffusers' <c>save_lora_weights</c> writes and <c>load_lora_weights</c> looks for.</summary>
    public const string WeightsFileName = "pytorch_lora_weights.safetensors";

    /// <summary>
    /// Adds an adapter to each of <see cref="LoraConfig.TargetModules"/> of every <see cref="Attention"/> under
    /// <paramref name="root"/> and, when <see cref="LoraConfig.TextEncoder"/>, to q/k/v/out_proj of every
    /// <see cref="ClipAttention"/>. A is drawn from a generator seeded with <paramref name="seed"/> (the global
    /// generator is untouched); B is zero, so outputs are unchanged until the adapters train.
    /// </summary>
    /// <returns>The number of adapted projections.</returns>
    /// <exception cref="DiffusionAlignException">
    /// An invalid config, no projection under the root matches, or the root already carries adapters.
    /// </exception>
    public static int Add(nn.Module root, LoraConfig config, long seed)
    {
        config.Validate();
        var hosts = Hosts(root).ToList();
        if (hosts.FirstOrDefault(h => h.Host.Lora is not null) is { Host: not null } adapted)
            throw new DiffusionAlignException(
                $"{Describe(adapted.Path)} already carries LoRA adapters; merge them before adding new ones");
        using var generator = new Generator(unchecked((ulong)seed));
        int count = 0;
        foreach (var (_, host) in hosts)
        {
            var targets = host is ClipAttention
                ? config.TextEncoder ? LoraConfig.TextEncoderProjections : []
                : config.TargetModules;
            ProjectionAdapters? adapters = null;
            // The host's own order, not the config's, fixes which adapter gets which random draws.
            foreach (var (name, layer) in host.Projections.Where(p => targets.Contains(p.Name)))
            {
                var weight = layer.weight!;
                adapters ??= new ProjectionAdapters();
                adapters.Add(name, LoraAdapter.Initialised(weight.shape[1], weight.shape[0], config.Rank,
                    config.Scale, config.Dropout, weight.device, generator));
                count++;
            }
            if (adapters is not null) Attach(host, adapters);
        }
        if (count == 0)
            throw new DiffusionAlignException(
                $"no attention projection under the module matches the LoRA targets "
                + $"({string.Join(", ", config.TargetModules)}{(config.TextEncoder ? ", text encoder" : "")})");
        return count;
    }

    /// <summary>Turns every adapter under <paramref name="root"/> on or off.</summary>
    public static void SetEnabled(nn.Module root, bool enabled)
    {
        foreach (var (_, adapter) in Adapters(root)) adapter.Enabled = enabled;
    }

    /// <summary>
    /// Turns every adapter off until disposed, then restores each one's previous state: inside, the model
    /// computes exactly as its base model (the frozen reference of preference objectives).
    /// </summary>
    public static IDisposable Disabled(nn.Module root)
    {
        var previous = Adapters(root).Select(a => (a.Adapter, a.Adapter.Enabled)).ToList();
        foreach (var (adapter, _) in previous) adapter.Enabled = false;
        return new EnabledRestorer(previous);
    }

    /// <summary>The adapters' A and B weights, in module order: the parameters LoRA training updates.</summary>
    public static IReadOnlyList<Parameter> Parameters(nn.Module root) =>
        Adapters(root).SelectMany(a => new[] { a.Adapter.Down, a.Adapter.Up }).ToList();

    /// <summary>
    /// Whether a name from the root's <c>named_parameters</c> / <c>state_dict</c> is an adapter weight, so
    /// code that saves base weights can leave adapters out.
    /// </summary>
    public static bool IsAdapterParameter(string name) =>
        name.Split('.').Contains(ProjectionAdapters.ModuleName);

    /// <summary>
    /// Adds each adapter's update to its projection's weight (W += α/r·B·A, computed in float32), whether the
    /// adapter is enabled or not, then removes the adapters: the root has only its base parameters again.
    /// </summary>
    public static void Merge(nn.Module root)
    {
        using var noGrad = no_grad();
        foreach (var (_, host) in Hosts(root).ToList())
        {
            if (host.Lora is not { } adapters) continue;
            var layers = host.Projections.ToDictionary(p => p.Name, p => p.Layer);
            foreach (var (projection, adapter) in adapters.Items)
            {
                using var scope = NewDisposeScope();
                var weight = layers[projection].weight!;
                weight.copy_(TensorSum.Add(weight.to_type(ScalarType.Float32), adapter.WeightUpdate()));
            }
            Detach(host);
        }
    }

    /// <summary>
    /// The adapter weights in diffusers' LoRA layout (see <see cref="DiffusersLoraKeys"/>), keys prefixed with
    /// <paramref name="prefix"/> (<c>unet</c>, <c>text_encoder</c>; empty for a root whose children already are
    /// those components). The caller owns the returned tensors.
    /// </summary>
    public static Dictionary<string, Tensor> ToDiffusers(nn.Module root, string prefix)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var weights = new Dictionary<string, Tensor>();
        foreach (var (path, host, projection, adapter) in AdaptersWithHosts(root))
        {
            string projectionPath = DiffusersLoraKeys.Join(path, projection);
            bool text = host is ClipAttention;
            weights[DiffusersLoraKeys.Key(prefix, projectionPath, text, Part.Down)] =
                adapter.Down.detach().clone().MoveToOuterDisposeScope();
            // The layout stores no α and diffusers loads it with scale 1, so B carries α/r: the file is exact.
            using var scale = adapter.Scale.ToScalar();
            weights[DiffusersLoraKeys.Key(prefix, projectionPath, text, Part.Up)] =
                adapter.Up.detach().mul(scale).MoveToOuterDisposeScope();
        }
        return weights;
    }

    /// <summary>
    /// The config that describes adapters read back from <see cref="ToDiffusers"/>'s output: the same rank,
    /// targets and dropout, with α = r, since the written B already carries α/r.
    /// </summary>
    public static LoraConfig SavedConfig(LoraConfig config) => config with { Alpha = null };

    /// <summary>
    /// Reads adapter weights written by <see cref="ToDiffusers"/> or diffusers/peft (keys under
    /// <paramref name="prefix"/>; others belong to other components and are skipped). If the root has adapters,
    /// the weights must cover exactly those, and B is divided by each adapter's α/r (the file has it folded in).
    /// If it has none, adapters are created for the projections the file names, with scale 1 and no dropout.
    /// Either way the root then computes what diffusers computes with the file at scale 1.
    /// </summary>
    /// <exception cref="DiffusionAlignException">Missing, unexpected or mis-shaped weights (no change).</exception>
    public static void FromDiffusers(nn.Module root, IReadOnlyDictionary<string, Tensor> weights, string prefix)
    {
        var hosts = Hosts(root).ToList();
        var projections = new Dictionary<string, (ILoraHost Host, Linear Layer)>();
        foreach (var (path, host) in hosts)
            foreach (var (name, layer) in host.Projections)
                projections[DiffusersLoraKeys.Join(path, name)] = (host, layer);
        var existing = AdaptersWithHosts(root)
            .ToDictionary(a => DiffusersLoraKeys.Join(a.Path, a.Projection), a => a.Adapter);

        string keyPrefix = prefix.Length == 0 ? "" : prefix + ".";
        var found = new Dictionary<string, (Tensor? Down, Tensor? Up)>();
        var unexpected = new List<string>();
        foreach (var (key, tensor) in weights)
        {
            if (!key.StartsWith(keyPrefix, StringComparison.Ordinal)) continue;
            if (!DiffusersLoraKeys.TryParse(key[keyPrefix.Length..], out string path, out Part part)
                || !projections.ContainsKey(path) || (existing.Count > 0 && !existing.ContainsKey(path)))
            {
                unexpected.Add(key);
                continue;
            }
            var (down, up) = found.GetValueOrDefault(path);
            if ((part == Part.Down ? down : up) is not null)
            {
                unexpected.Add(key); // the same weight again, in another layout
                continue;
            }
            found[path] = part == Part.Down ? (tensor, up) : (down, tensor);
        }
        var missing = new List<string>();
        foreach (string path in existing.Count > 0 ? existing.Keys : (IEnumerable<string>)found.Keys)
        {
            var (down, up) = found.GetValueOrDefault(path);
            bool text = projections[path].Host is ClipAttention;
            if (down is null) missing.Add(DiffusersLoraKeys.Key(prefix, path, text, Part.Down));
            if (up is null) missing.Add(DiffusersLoraKeys.Key(prefix, path, text, Part.Up));
        }
        string where = prefix.Length == 0 ? "the LoRA weights" : $"the LoRA weights under '{prefix}.'";
        if (missing.Count > 0 || unexpected.Count > 0)
            throw new DiffusionAlignException(
                $"{where} do not match the model's adapters: {List("missing", missing)}{List("unexpected", unexpected)}"
                    .TrimEnd(';', ' '));
        if (found.Count == 0) throw new DiffusionAlignException($"{where}: there are none");
        var misShaped = found
            .Where(f => !Fits(f.Value.Down!, f.Value.Up!, projections[f.Key].Layer, existing.GetValueOrDefault(f.Key)))
            .Select(f => $"{f.Key} (A {Shape(f.Value.Down!)}, B {Shape(f.Value.Up!)}, "
                + $"weight {Shape(projections[f.Key].Layer.weight!)})")
            .ToList();
        if (misShaped.Count > 0)
            throw new DiffusionAlignException(
                $"{where} have the wrong shapes: {List("", misShaped).TrimEnd(';', ' ')}");

        using var noGrad = no_grad();
        foreach (var (path, adapter) in existing)
        {
            using var scope = NewDisposeScope();
            var (down, up) = found[path];
            adapter.Down.copy_(down!);
            using var scale = adapter.Scale.ToScalar();
            adapter.Up.copy_(up!.to_type(ScalarType.Float32).div(scale));
        }
        if (existing.Count > 0) return;
        foreach (var (path, host) in hosts)
        {
            ProjectionAdapters? adapters = null;
            foreach (var (name, layer) in host.Projections)
            {
                if (!found.TryGetValue(DiffusersLoraKeys.Join(path, name), out var pair)) continue;
                adapters ??= new ProjectionAdapters();
                adapters.Add(name, LoraAdapter.FromWeights(pair.Down!, pair.Up!, scale: 1.0, layer.weight!.device));
            }
            if (adapters is not null) Attach(host, adapters);
        }
    }

    // Every attention module under the root (the root included), with its path from the root.
    private static IEnumerable<(string Path, ILoraHost Host)> Hosts(nn.Module root)
    {
        if (root is ILoraHost self) yield return ("", self);
        foreach (var (name, module) in root.named_modules())
            if (module is ILoraHost host) yield return (name, host);
    }

    private static IEnumerable<(string Path, ILoraHost Host, string Projection, LoraAdapter Adapter)>
        AdaptersWithHosts(nn.Module root) =>
        Hosts(root).Where(h => h.Host.Lora is not null)
            .SelectMany(h => h.Host.Lora!.Items.Select(i => (h.Path, h.Host, i.Projection, i.Adapter)));

    private static IEnumerable<(string Projection, LoraAdapter Adapter)> Adapters(nn.Module root) =>
        AdaptersWithHosts(root).Select(a => (a.Projection, a.Adapter));

    private static void Attach(ILoraHost host, ProjectionAdapters adapters)
    {
        ((nn.Module)host).register_module(ProjectionAdapters.ModuleName, adapters);
        host.Lora = adapters;
    }

    private static void Detach(ILoraHost host)
    {
        var adapters = host.Lora!;
        // Registering null removes the submodule, so the names are the checkpoint's again.
        ((nn.Module)host).register_module(ProjectionAdapters.ModuleName, null!);
        host.Lora = null;
        adapters.Dispose();
    }

    private static bool Fits(Tensor down, Tensor up, Linear layer, LoraAdapter? adapter)
    {
        var weight = layer.weight!;
        return down.ndim == 2 && up.ndim == 2 && down.shape[1] == weight.shape[1] && up.shape[0] == weight.shape[0]
            && up.shape[1] == down.shape[0] && (adapter is null || adapter.Rank == down.shape[0]);
    }

    private static string Shape(Tensor t) => $"[{string.Join(", ", t.shape)}]";

    private static string Describe(string path) => path.Length == 0 ? "the module" : path;

    // One line however many names: the first few and a count.
    private static string List(string label, List<string> names)
    {
        if (names.Count == 0) return "";
        const int shown = 4;
        string more = names.Count > shown ? $" and {names.Count - shown} more" : "";
        string head = label.Length == 0 ? "" : label + " ";
        return $"{head}{string.Join(", ", names.Take(shown))}{more}; ";
    }

    private sealed class EnabledRestorer(List<(LoraAdapter Adapter, bool Enabled)> previous) : IDisposable
    {
        public void Dispose()
        {
            foreach (var (adapter, enabled) in previous) adapter.Enabled = enabled;
        }
    }
}
