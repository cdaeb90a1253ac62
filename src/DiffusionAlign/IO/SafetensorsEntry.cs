namespace DiffusionAlign.IO;

/// <summary>
/// One tensor's header record: its name, element type, shape and byte range
/// [<see cref="Begin"/>, <see cref="End"/>) relative to the start of the data section.
/// </summary>
public sealed record SafetensorsEntry(
    string Name, SafetensorsDType DType, IReadOnlyList<long> Shape, long Begin, long End)
{
    public long ByteCount => End - Begin;

    public long ElementCount => Shape.Aggregate(1L, (product, dim) => product * dim);
}
