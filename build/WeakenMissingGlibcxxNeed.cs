// MSBuild inline task (RoslynCodeTaskFactory, Type="Class"): see TorchSharpGlibcxxFix.targets for why.
// Reads ELF64 little-endian files only; every offset read is bounds-checked.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

public class WeakenMissingGlibcxxNeed : Microsoft.Build.Utilities.Task
{
    [Microsoft.Build.Framework.Required]
    public Microsoft.Build.Framework.ITaskItem[] Libraries { get; set; } = new Microsoft.Build.Framework.ITaskItem[0];

    [Microsoft.Build.Framework.Required]
    public string Version { get; set; } = "";

    [Microsoft.Build.Framework.Required]
    public string AllowedSymbol { get; set; } = "";

    const uint ShtDynsym = 11;
    const uint ShtGnuVerdef = 0x6ffffffd;
    const uint ShtGnuVerneed = 0x6ffffffe;
    const uint ShtGnuVersym = 0x6fffffff;
    const ushort VerFlgWeak = 0x2;

    public override bool Execute()
    {
        string systemLib = FindSystemLibStdCxx();
        if (systemLib != null)
        {
            byte[] sys = File.ReadAllBytes(systemLib);
            if (DefinedVersions(sys).Contains(Version))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                    "DiffusionAlign: " + systemLib + " provides " + Version
                    + "; TorchSharp native library left as is.");
                return true;
            }
        }

        foreach (var item in Libraries)
        {
            string path = item.ItemSpec;
            try
            {
                if (!Patch(path)) return false;
            }
            catch (InvalidDataException e)
            {
                Log.LogError("DiffusionAlign: cannot patch " + path + ": " + e.Message);
                return false;
            }
        }
        return true;
    }

    bool Patch(string path)
    {
        byte[] elf = File.ReadAllBytes(path);
        var sections = Sections(elf);
        Section verneed = Find(sections, ShtGnuVerneed);
        if (verneed == null)
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                "DiffusionAlign: " + path + " has no version needs.");
            return true;
        }
        Section strtab = sections[(int)Check(verneed.Link, sections.Count)];

        // Walk Verneed -> Vernaux looking for the version name.
        long auxOffset = -1;
        ushort versionIndex = 0;
        ushort flags = 0;
        long need = verneed.Offset;
        for (uint i = 0; i < verneed.Info; i++)
        {
            ushort cnt = U16(elf, need + 2);
            uint aux = U32(elf, need + 8);
            uint next = U32(elf, need + 12);
            long a = need + aux;
            for (int j = 0; j < cnt; j++)
            {
                ushort f = U16(elf, a + 4);
                ushort other = U16(elf, a + 6);
                uint name = U32(elf, a + 8);
                uint anext = U32(elf, a + 12);
                if (Str(elf, strtab.Offset + name, strtab) == Version)
                {
                    auxOffset = a;
                    versionIndex = other;
                    flags = f;
                }
                a += anext;
                if (anext == 0) break;
            }
            if (next == 0) break;
            need += next;
        }
        if (auxOffset < 0)
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                "DiffusionAlign: " + path + " does not need " + Version + ".");
            return true;
        }
        if ((flags & VerFlgWeak) != 0)
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                "DiffusionAlign: " + Version + " need in " + path + " is already weak.");
            return true;
        }

        // Every dynamic symbol bound to that version must be the one we know is unreferenced.
        Section dynsym = Find(sections, ShtDynsym);
        Section versym = Find(sections, ShtGnuVersym);
        if (dynsym == null || versym == null) throw new InvalidDataException("missing .dynsym or .gnu.version section");
        Section dynstr = sections[(int)Check(dynsym.Link, sections.Count)];
        long count = dynsym.Size / 24;
        var offenders = new List<string>();
        for (long s = 0; s < count; s++)
        {
            ushort v = (ushort)(U16(elf, versym.Offset + 2 * s) & 0x7fff);
            if (v != versionIndex) continue;
            string name = Str(elf, dynstr.Offset + U32(elf, dynsym.Offset + 24 * s), dynstr);
            if (name != AllowedSymbol) offenders.Add(name);
        }
        if (offenders.Count > 0)
        {
            Log.LogError("DiffusionAlign: " + path + " needs " + Version + " for symbol(s) "
                         + string.Join(", ", offenders)
                         + ", which this machine's libstdc++ lacks. Marking the need weak would break at run time;"
                         + " install a newer libstdc++ (GCC 13+) instead.");
            return false;
        }

        elf[auxOffset + 4] = (byte)((flags | VerFlgWeak) & 0xff);
        elf[auxOffset + 5] = (byte)(((flags | VerFlgWeak) >> 8) & 0xff);
        string tmp = path + ".dalign-tmp";
        File.WriteAllBytes(tmp, elf);
        File.Copy(tmp, path, true);
        File.Delete(tmp);
        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
            "DiffusionAlign: marked the " + Version + " need of " + path + " weak (only " + AllowedSymbol
            + " uses it; this libstdc++ lacks it).");
        return true;
    }

    static string FindSystemLibStdCxx()
    {
        var dirs = new List<string>();
        string ld = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        if (!string.IsNullOrEmpty(ld)) dirs.AddRange(ld.Split(':'));
        dirs.AddRange(new[]
        {
            "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
            "/usr/lib64", "/lib64", "/usr/lib", "/lib"
        });
        foreach (string d in dirs)
        {
            if (d.Length == 0) continue;
            string p = Path.Combine(d, "libstdc++.so.6");
            if (File.Exists(p)) return p;
        }
        return null;
    }

    static HashSet<string> DefinedVersions(byte[] elf)
    {
        var result = new HashSet<string>();
        var sections = Sections(elf);
        Section verdef = Find(sections, ShtGnuVerdef);
        if (verdef == null) return result;
        Section strtab = sections[(int)Check(verdef.Link, sections.Count)];
        long d = verdef.Offset;
        for (uint i = 0; i < verdef.Info; i++)
        {
            ushort cnt = U16(elf, d + 6);
            uint aux = U32(elf, d + 12);
            uint next = U32(elf, d + 16);
            if (cnt > 0) result.Add(Str(elf, strtab.Offset + U32(elf, d + aux), strtab));
            if (next == 0) break;
            d += next;
        }
        return result;
    }

    sealed class Section
    {
        public uint Type; public long Offset; public long Size; public uint Link; public uint Info;
    }

    static List<Section> Sections(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("only little-endian ELF64 is supported");
        long shoff = (long)U64(elf, 0x28);
        ushort shentsize = U16(elf, 0x3A);
        ushort shnum = U16(elf, 0x3C);
        if (shentsize < 64) throw new InvalidDataException("bad section header size");
        var list = new List<Section>();
        for (int i = 0; i < shnum; i++)
        {
            long h = shoff + (long)i * shentsize;
            var s = new Section
            {
                Type = U32(elf, h + 4),
                Offset = (long)U64(elf, h + 24),
                Size = (long)U64(elf, h + 32),
                Link = U32(elf, h + 40),
                Info = U32(elf, h + 44),
            };
            if (s.Type != 8 /* SHT_NOBITS */ && (s.Offset < 0 || s.Size < 0 || s.Offset + s.Size > elf.Length))
                throw new InvalidDataException("section " + i + " lies outside the file");
            list.Add(s);
        }
        return list;
    }

    static Section Find(List<Section> sections, uint type)
    {
        foreach (var s in sections) if (s.Type == type) return s;
        return null;
    }

    static long Check(long index, long count)
    {
        if (index < 0 || index >= count) throw new InvalidDataException("section link out of range");
        return index;
    }

    static void Bounds(byte[] b, long at, int n)
    {
        if (at < 0 || at + n > b.Length) throw new InvalidDataException("offset " + at + " outside the file");
    }

    static ushort U16(byte[] b, long at) { Bounds(b, at, 2); return (ushort)(b[at] | (b[at + 1] << 8)); }
    static uint U32(byte[] b, long at)
    {
        Bounds(b, at, 4);
        return (uint)(b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24));
    }
    static ulong U64(byte[] b, long at) { Bounds(b, at, 8); return U32(b, at) | ((ulong)U32(b, at + 4) << 32); }

    static string Str(byte[] b, long at, Section table)
    {
        long end = table.Offset + table.Size;
        if (at < table.Offset || at >= end) throw new InvalidDataException("string offset outside its table");
        long e = at;
        while (e < end && b[e] != 0) e++;
        return Encoding.ASCII.GetString(b, (int)at, (int)(e - at));
    }
}
