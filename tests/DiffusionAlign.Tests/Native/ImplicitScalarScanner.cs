using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace DiffusionAlign.Tests.Native;

/// <summary>
/// Finds the methods of a compiled assembly that hand TorchSharp a number to be made into an unrooted Scalar:
/// a call to <c>Scalar.op_Implicit</c> or to a TorchSharp method that makes one (<see cref="TorchSharpConversions"/>).
/// Reading IL rather than source sees the overloads the compiler picked, and reading every method of every type
/// covers lambdas, local functions and iterator/async state machines, which compile to generated types.
/// </summary>
public static class ImplicitScalarScanner
{
    /// <summary>"Ns.Type+Nested.Method" of each offending method, with the converting members it calls.</summary>
    public static SortedDictionary<string, SortedSet<string>> Scan(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var found = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var handle in md.MethodDefinitions)
        {
            var method = md.GetMethodDefinition(handle);
            // Abstract, extern and interface methods have no body.
            if (method.RelativeVirtualAddress == 0) continue;
            var name = MethodKeys.NameOf(md, handle);
            foreach (var target in ILCalls.Targets(pe.GetMethodBody(method.RelativeVirtualAddress).GetILBytes()!))
            {
                var callee = MethodKeys.Of(md, target);
                if (callee is null || !TorchSharpConversions.Converts(callee)) continue;
                if (!found.TryGetValue(name, out var callees)) found[name] = callees = new(StringComparer.Ordinal);
                callees.Add(callee);
            }
        }
        return found;
    }

    /// <summary>One line per offending method: the method, then what it calls.</summary>
    public static string Describe(SortedDictionary<string, SortedSet<string>> found) =>
        string.Join("\n", found.Select(f => $"{f.Key}: {string.Join(", ", f.Value)}"));
}
