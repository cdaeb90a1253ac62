using DiffusionAlign.Pipelines;
using static TorchSharp.torch;

namespace DiffusionAlign.Experiments.Study;

/// <summary>
/// How far training moved a model: ‖θ − θ_ref‖ / ‖θ_ref‖ over the weights alignment trains (the UNet), summed in
/// double precision on the host so the distance of a barely moved model is not lost to float rounding.
/// </summary>
public sealed class ParameterDistance
{
    private readonly Dictionary<string, float[]> _reference;
    private readonly double _referenceNorm;

    /// <summary>Copies the reference's trainable weights once; every later distance is measured from them.</summary>
    public ParameterDistance(TextToImageModel reference)
    {
        _reference = Weights(reference);
        _referenceNorm = Math.Sqrt(_reference.Values.Sum(w => w.Sum(x => (double)x * x)));
        if (!(_referenceNorm > 0)) throw new DiffusionAlignException("the reference model's weights are all zero");
    }

    /// <summary>‖θ − θ_ref‖ / ‖θ_ref‖ for <paramref name="model"/>.</summary>
    public double From(TextToImageModel model)
    {
        var weights = Weights(model);
        double squares = 0;
        foreach (var (name, reference) in _reference)
        {
            if (!weights.TryGetValue(name, out var w) || w.Length != reference.Length)
                throw new DiffusionAlignException($"the model's weight '{name}' does not match the reference's");
            for (int i = 0; i < w.Length; i++)
            {
                double d = (double)w[i] - reference[i];
                squares += d * d;
            }
        }
        return Math.Sqrt(squares) / _referenceNorm;
    }

    private static Dictionary<string, float[]> Weights(TextToImageModel model)
    {
        using var scope = NewDisposeScope();
        return model.TrainableStateTensors().ToDictionary(
            kv => kv.Key, kv => kv.Value.cpu().to_type(ScalarType.Float32).data<float>().ToArray());
    }
}
