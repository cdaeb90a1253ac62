using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace DiffusionAlign.Tests.Native;

/// <summary>
/// The TorchSharp methods that turn a number into a Scalar by <c>Scalar.op_Implicit</c>, themselves or through
/// the TorchSharp methods they call, read from TorchSharp's own IL. Calling one hands LibTorch a Scalar that
/// nothing roots: <c>x * 0.5</c> compiles to <c>Tensor.op_Multiply(Tensor, double)</c>, which converts inside
/// TorchSharp, and <c>a + b</c> to <c>Tensor.add(Tensor)</c>, which passes an implicit alpha of 1. A method counts
/// if any of its paths converts. Calls through virtual dispatch are not followed: a module's <c>forward</c> is seen
/// where it is called on the module's own type, not through <c>Module&lt;T, TResult&gt;</c>.
/// </summary>
public static class TorchSharpConversions
{
    private const string ImplicitPrefix = "TorchSharp.Scalar::op_Implicit(";

    private static readonly Lazy<HashSet<string>> Methods = new(Read);

    /// <summary>Whether a call to the method with this key (see <see cref="MethodKeys"/>) converts a number.</summary>
    public static bool Converts(string key) => key.StartsWith(ImplicitPrefix, StringComparison.Ordinal)
        || Methods.Value.Contains(key);

    private static HashSet<string> Read()
    {
        using var stream = File.OpenRead(typeof(TorchSharp.Scalar).Assembly.Location);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var callers = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var converting = new HashSet<string>(StringComparer.Ordinal);
        foreach (var handle in md.MethodDefinitions)
        {
            var method = md.GetMethodDefinition(handle);
            if (method.RelativeVirtualAddress == 0) continue;
            var caller = MethodKeys.OfDefinition(md, handle);
            foreach (var target in ILCalls.Targets(pe.GetMethodBody(method.RelativeVirtualAddress).GetILBytes()!))
            {
                var callee = MethodKeys.Of(md, target);
                if (callee is null) continue;
                if (callee.StartsWith(ImplicitPrefix, StringComparison.Ordinal)) converting.Add(caller);
                else if (callers.TryGetValue(callee, out var set)) set.Add(caller);
                else callers[callee] = new HashSet<string>(StringComparer.Ordinal) { caller };
            }
        }
        // Everything that reaches a converting method converts too.
        var pending = new Stack<string>(converting);
        while (pending.TryPop(out var key))
            foreach (var caller in callers.GetValueOrDefault(key) ?? [])
                if (converting.Add(caller)) pending.Push(caller);
        return converting;
    }
}
