using System.Collections.Immutable;
using System.Reflection.Metadata;

namespace DiffusionAlign.Tests.Native;

/// <summary>
/// Names a method the same way whether it is read as a definition (in the assembly that declares it) or as a
/// reference (in an assembly that calls it): "Ns.Outer+Type::name(params)ret", with generic parameters as !n
/// and !!n, so a caller's MemberRef and the callee's MethodDef can be matched across assemblies.
/// </summary>
public sealed class MethodKeys : ISignatureTypeProvider<string, object?>
{
    public static readonly MethodKeys Instance = new();

    /// <summary>The key of a call target (MethodDef, MemberRef or generic MethodSpec), or null for a field.</summary>
    public static string? Of(MetadataReader md, EntityHandle handle) => handle.Kind switch
    {
        HandleKind.MethodDefinition => OfDefinition(md, (MethodDefinitionHandle)handle),
        HandleKind.MemberReference => OfReference(md, (MemberReferenceHandle)handle),
        // An instantiation of a generic method is keyed by the method it instantiates.
        HandleKind.MethodSpecification => Of(md, md.GetMethodSpecification((MethodSpecificationHandle)handle).Method),
        _ => null,
    };

    /// <summary>"Ns.Outer+Type.Method", how a method is named to a reader.</summary>
    public static string NameOf(MetadataReader md, MethodDefinitionHandle handle)
    {
        var method = md.GetMethodDefinition(handle);
        return $"{TypeName(md, method.GetDeclaringType())}.{md.GetString(method.Name)}";
    }

    public static string OfDefinition(MetadataReader md, MethodDefinitionHandle handle)
    {
        var method = md.GetMethodDefinition(handle);
        var declaring = TypeName(md, method.GetDeclaringType());
        return Key(declaring, md.GetString(method.Name), method.DecodeSignature(Instance, null));
    }

    /// <summary>The key of a MemberRef's method, or null if it names a field or has no type as its parent.</summary>
    public static string? OfReference(MetadataReader md, MemberReferenceHandle handle)
    {
        var member = md.GetMemberReference(handle);
        if (member.GetKind() != MemberReferenceKind.Method) return null;
        var declaring = member.Parent.Kind switch
        {
            HandleKind.TypeReference => TypeName(md, (TypeReferenceHandle)member.Parent),
            HandleKind.TypeDefinition => TypeName(md, (TypeDefinitionHandle)member.Parent),
            // A member of a generic instantiation is keyed by its generic type, as its definition is.
            HandleKind.TypeSpecification => GenericTypeOf(
                md.GetTypeSpecification((TypeSpecificationHandle)member.Parent).DecodeSignature(Instance, null)),
            _ => null,
        };
        return declaring is null ? null
            : Key(declaring, md.GetString(member.Name), member.DecodeMethodSignature(Instance, null));
    }

    private static string Key(string declaring, string name, MethodSignature<string> signature) =>
        $"{declaring}::{name}({string.Join(",", signature.ParameterTypes)}){signature.ReturnType}";

    private static string GenericTypeOf(string type) => type.Split('<')[0];

    private static string TypeName(MetadataReader md, TypeDefinitionHandle handle)
    {
        var type = md.GetTypeDefinition(handle);
        var name = md.GetString(type.Name);
        return type.IsNested
            ? $"{TypeName(md, type.GetDeclaringType())}+{name}"
            : Qualified(md.GetString(type.Namespace), name);
    }

    private static string TypeName(MetadataReader md, TypeReferenceHandle handle)
    {
        var type = md.GetTypeReference(handle);
        var name = md.GetString(type.Name);
        // A nested type's reference is scoped by the reference to its enclosing type.
        return type.ResolutionScope.Kind == HandleKind.TypeReference
            ? $"{TypeName(md, (TypeReferenceHandle)type.ResolutionScope)}+{name}"
            : Qualified(md.GetString(type.Namespace), name);
    }

    private static string Qualified(string ns, string name) => ns.Length == 0 ? name : $"{ns}.{name}";

    public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
    public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) =>
        TypeName(reader, handle);
    public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) =>
        TypeName(reader, handle);
    public string GetTypeFromSpecification(
        MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
        reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
    public string GetSZArrayType(string elementType) => elementType + "[]";
    public string GetArrayType(string elementType, ArrayShape shape) =>
        $"{elementType}[{new string(',', shape.Rank - 1)}]";
    public string GetByReferenceType(string elementType) => elementType + "&";
    public string GetPointerType(string elementType) => elementType + "*";
    public string GetPinnedType(string elementType) => elementType;
    // Modifiers (e.g. the modreq of an `in` parameter) are dropped on both sides alike.
    public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;
    public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) =>
        $"{genericType}<{string.Join(",", typeArguments)}>";
    public string GetGenericTypeParameter(object? genericContext, int index) => $"!{index}";
    public string GetGenericMethodParameter(object? genericContext, int index) => $"!!{index}";
    public string GetFunctionPointerType(MethodSignature<string> signature) =>
        $"fnptr({string.Join(",", signature.ParameterTypes)}){signature.ReturnType}";
}
