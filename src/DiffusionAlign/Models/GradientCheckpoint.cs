using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Models;

/// <summary>
/// Gradient checkpointing, as PyTorch's reentrant <c>torch.utils.checkpoint</c>: a segment of a network runs
/// without keeping its activations, and backward runs the segment again to rebuild them. Training memory then
/// holds only the segments' inputs, at the price of one more forward of every checkpointed segment.
/// </summary>
/// <remarks>
/// The recomputation calls <c>backward</c> on the segment's own graph, which accumulates the parameters'
/// <c>.grad</c> directly (as PyTorch's reentrant variant does): use it under <c>loss.backward()</c>, not under
/// <c>torch.autograd.grad</c>, which would not see those parameter gradients.
/// </remarks>
public static class GradientCheckpoint
{
    /// <summary>
    /// Runs <paramref name="function"/> on <paramref name="inputs"/> so that autograd keeps only the inputs and
    /// recomputes the rest when the gradient arrives. Without grad mode, or when neither an input nor one of
    /// <paramref name="parameters"/> requires grad, it simply calls the function.
    /// </summary>
    /// <param name="function">
    /// The segment. It must read every tensor that carries gradient from its argument (a captured one would let
    /// the recomputation's backward run into the outer graph), and compute the same thing when called again.
    /// </param>
    /// <param name="inputs">The segment's tensor inputs.</param>
    /// <param name="parameters">
    /// The parameters the segment uses: their gradients are accumulated during backward, and they make the segment
    /// part of the graph even when no input requires grad (e.g. a LoRA inside an otherwise frozen network).
    /// </param>
    /// <param name="preserveRngState">
    /// Replay the CPU random generator in the recomputation so dropout draws the same masks as in the forward.
    /// TorchSharp exposes no CUDA generator state, so this refuses inputs on other devices; pass false there
    /// only if the segment draws no random numbers.
    /// </param>
    /// <returns>The segment's outputs; one listed twice comes back as the same tensor twice.</returns>
    /// <exception cref="NotSupportedException">The random state must be preserved for a non-CPU input.</exception>
    public static IReadOnlyList<Tensor> Run(
        Func<IReadOnlyList<Tensor>, IReadOnlyList<Tensor>> function,
        IReadOnlyList<Tensor> inputs,
        IEnumerable<Tensor> parameters,
        bool preserveRngState = true)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(parameters);
        if (!is_grad_enabled()) return function(inputs);
        var trainable = parameters.Where(p => p.requires_grad).ToList();
        if (trainable.Count == 0 && !inputs.Any(t => t.requires_grad)) return function(inputs);
        if (preserveRngState && inputs.FirstOrDefault(t => t.device_type != DeviceType.CPU) is { } other)
            throw new NotSupportedException(
                $"gradient checkpointing cannot replay the random generator of {other.device}: TorchSharp exposes "
                + "only the CPU generator's state");

        FreeHandedOverGradients();
        var segment = new Segment(function, inputs.Count, trainable.Count, preserveRngState);
        // Parameters ride along as inputs only to give the autograd node edges; their gradient slots stay empty.
        var args = new object[1 + inputs.Count + trainable.Count];
        args[0] = segment;
        for (var i = 0; i < inputs.Count; i++) args[1 + i] = inputs[i];
        for (var i = 0; i < trainable.Count; i++) args[1 + inputs.Count + i] = trainable[i];
        var distinct = Recompute.apply(args);
        return segment.OutputSlots.Select(slot => distinct[slot]).ToList();
    }

    /// <summary>What the autograd node needs beyond tensors: the function, and what the forward observed.</summary>
    private sealed class Segment(
        Func<IReadOnlyList<Tensor>, IReadOnlyList<Tensor>> function, int inputCount, int parameterCount,
        bool preserveRngState)
    {
        public Func<IReadOnlyList<Tensor>, IReadOnlyList<Tensor>> Function { get; } = function;
        public int InputCount { get; } = inputCount;
        public int ParameterCount { get; } = parameterCount;
        public bool PreserveRngState { get; } = preserveRngState;

        /// <summary>The CPU generator's state before the forward (bytes, so no native handle outlives it).</summary>
        public byte[]? RngState { get; set; }

        /// <summary>For each output of the function, its index among the distinct outputs.</summary>
        public int[] OutputSlots { get; set; } = [];
    }

    private sealed class Recompute : autograd.MultiTensorFunction<Recompute>
    {
        public override string Name => nameof(GradientCheckpoint);

        // Runs under no_grad (apply does that): nothing inside the segment is recorded.
        public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var segment = (Segment)vars[0];
            var inputs = vars.Skip(1).Take(segment.InputCount).Cast<Tensor>().ToList();
            ctx.save_for_backward(inputs);
            ctx.save_data(nameof(Segment), segment);
            // Outputs nobody used get no gradient; zeros would be filled in from handles the caller may have freed.
            ctx.set_materialize_grads(false);
            if (segment.PreserveRngState)
            {
                using var state = get_rng_state();
                segment.RngState = state.bytes.ToArray();
            }

            // The segment's intermediates die here; only the outputs reach the caller's scope.
            using var scope = NewDisposeScope();
            var (distinct, slots) = Distinct(segment.Function(inputs));
            segment.OutputSlots = slots;
            foreach (var output in distinct)
                if (scope.Contains(output)) scope.MoveToOuter(output);
            return distinct;
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradOutputs)
        {
            FreeHandedOverGradients();
            var segment = (Segment)ctx.get_data(nameof(Segment));
            var grads = new List<Tensor?> { null }; // the Segment argument has no gradient
            using (var scope = NewDisposeScope())
            {
                var saved = ctx.get_saved_variables();
                var leaves = saved.Select(t => t.detach().requires_grad_(t.requires_grad)).ToList();
                List<Tensor> outputs;
                using (enable_grad())
                using (new RngReplay(segment.RngState))
                    outputs = Distinct(segment.Function(leaves)).Distinct;
                if (outputs.Count != gradOutputs.Count)
                    throw new InvalidOperationException(
                        $"the checkpointed segment returned {outputs.Count} tensors when recomputed, "
                        + $"{gradOutputs.Count} in the forward");

                var roots = new List<Tensor>();
                var rootGrads = new List<Tensor>();
                for (var i = 0; i < outputs.Count; i++)
                {
                    if (!outputs[i].requires_grad || gradOutputs[i] is null || gradOutputs[i].IsInvalid) continue;
                    roots.Add(outputs[i]);
                    rootGrads.Add(gradOutputs[i]);
                }

                // Accumulates the parameters' .grad and the leaves' grads through the rebuilt graph.
                if (roots.Count > 0) autograd.backward(roots, rootGrads);
                foreach (var leaf in leaves)
                {
                    var grad = leaf.requires_grad ? leaf.grad : null;
                    if (grad is not null) scope.MoveToOuter(grad);
                    grads.Add(grad);
                }
            }

            // The engine's handles to the incoming gradients are ours; free them now rather than when the
            // caller's scope ends, which in a training step is after the whole backward.
            foreach (var grad in gradOutputs) grad?.Dispose();
            handedOver ??= [];
            handedOver.AddRange(grads.OfType<Tensor>());
            // Parameters were accumulated by the backward above; the engine gets no gradient for them.
            grads.AddRange(Enumerable.Repeat<Tensor?>(null, segment.ParameterCount));
            return grads!;
        }
    }

    // The engine copies the gradients a node returns as soon as it gets them, but our handles would live until
    // the caller's dispose scope ends, in a training step after the whole backward: the next checkpointed
    // backward or forward on this thread frees them instead.
    [ThreadStatic] private static List<Tensor>? handedOver;

    private static void FreeHandedOverGradients()
    {
        if (handedOver is null) return;
        foreach (var grad in handedOver) grad.Dispose();
        handedOver.Clear();
    }

    // Reference-equal outputs (a down block returns its output also as its last skip) become one node output.
    private static (List<Tensor> Distinct, int[] Slots) Distinct(IReadOnlyList<Tensor> outputs)
    {
        var distinct = new List<Tensor>();
        var slots = new int[outputs.Count];
        for (var i = 0; i < outputs.Count; i++)
        {
            var slot = distinct.FindIndex(t => ReferenceEquals(t, outputs[i]));
            if (slot < 0)
            {
                slot = distinct.Count;
                distinct.Add(outputs[i]);
            }

            slots[i] = slot;
        }

        return (distinct, slots);
    }

    /// <summary>Sets the CPU generator to a saved state and restores the current one afterwards (fork_rng).</summary>
    private readonly struct RngReplay : IDisposable
    {
        private readonly byte[]? current;

        public RngReplay(byte[]? replay)
        {
            if (replay is null) return;
            using var state = get_rng_state();
            current = state.bytes.ToArray();
            Set(replay);
        }

        public void Dispose()
        {
            if (current is not null) Set(current);
        }

        private static void Set(byte[] bytes)
        {
            using var state = tensor(bytes);
            set_rng_state(state);
        }
    }
}
