using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;

namespace DiffusionAlign.Tests.Native;

/// <summary>The method tokens an IL body calls, constructs or loads (call, callvirt, newobj, ldftn, ...).</summary>
public static class ILCalls
{
    /// <summary>Operand kinds by opcode value, from the runtime's own opcode table.</summary>
    private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(op => op.Value, op => op.OperandType);

    public static IEnumerable<EntityHandle> Targets(byte[] il)
    {
        var at = 0;
        while (at < il.Length)
        {
            // Two-byte opcodes start with 0xFE; the table keys them as 0xFE00 | second byte.
            var twoBytes = il[at] == 0xFE;
            var value = twoBytes ? (short)(0xFE00 | il[at + 1]) : il[at];
            at += twoBytes ? 2 : 1;
            var operand = Operands[value];
            if (operand == OperandType.InlineMethod)
                yield return MetadataTokens.EntityHandle(BitConverter.ToInt32(il, at));
            at += OperandSize(operand, il, at);
        }
    }

    private static int OperandSize(OperandType operand, byte[] il, int at) => operand switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        // A count, then that many 4-byte branch offsets.
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };
}
