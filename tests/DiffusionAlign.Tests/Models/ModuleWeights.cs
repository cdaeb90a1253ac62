using TorchSharp;
using static TorchSharp.torch;

namespace DiffusionAlign.Tests.Models;

/// <summary>Sets named parameters of a module to hand-chosen values, for tests with closed-form answers.</summary>
internal static class ModuleWeights
{
    public static void Set(nn.Module module, params (string Name, float[] Values)[] weights)
    {
        var state = module.state_dict();
        using var noGrad = torch.no_grad();
        foreach (var (name, values) in weights)
        {
            Assert.True(state.ContainsKey(name), $"no parameter {name}");
            var target = state[name];
            Assert.Equal(target.numel(), values.LongLength);
            target.copy_(torch.tensor(values).reshape(target.shape));
        }
    }

    public static void Zero(nn.Module module)
    {
        using var noGrad = torch.no_grad();
        foreach (var p in module.parameters()) p.zero_();
    }

    public static float[] Values(Tensor t) =>
        t.detach().contiguous().to_type(ScalarType.Float32).data<float>().ToArray();
}
