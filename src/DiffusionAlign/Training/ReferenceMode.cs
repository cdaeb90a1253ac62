namespace DiffusionAlign.Training;

/// <summary>How the frozen reference's forward runs inside an alignment step.</summary>
public enum ReferenceMode
{
    /// <summary>LibTorch inference mode: no autograd graph and no version-counter bookkeeping (the default).</summary>
    InferenceMode,

    /// <summary><c>no_grad</c>: no autograd graph.</summary>
    NoGrad,

    /// <summary>
    /// Gradients enabled, as a naive loop that forgets to detach the reference would run: the
    /// graph and its activations are kept and backward runs through the reference too if its
    /// weights require gradients. Only for the benchmark's lever comparison.
    /// </summary>
    Graph,
}
