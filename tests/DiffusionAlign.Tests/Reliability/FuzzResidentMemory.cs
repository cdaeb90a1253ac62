using Microsoft.Win32.SafeHandles;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// The process's resident memory, read from <c>/proc/self/statm</c> without allocating, so sampling it every few
/// milliseconds while a case runs neither disturbs the managed allocation counter nor misses what the counter cannot
/// see: native tensors, Skia's buffers. Unavailable (null) off Linux.
/// </summary>
public sealed class FuzzResidentMemory : IDisposable
{
    private readonly SafeFileHandle? _statm;
    private readonly byte[] _buffer = new byte[128];

    public FuzzResidentMemory()
    {
        try
        {
            _statm = File.OpenHandle("/proc/self/statm");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _statm = null;
        }
    }

    /// <summary>Resident bytes now, or null where the kernel does not say.</summary>
    public long? Bytes()
    {
        if (_statm is null) return null;
        int read = RandomAccess.Read(_statm, _buffer, 0);
        // statm is "size resident shared ..." in pages; the second field is the resident set.
        int i = 0;
        while (i < read && _buffer[i] != ' ') i++;
        long pages = 0;
        for (i++; i < read && _buffer[i] is >= (byte)'0' and <= (byte)'9'; i++) pages = pages * 10 + _buffer[i] - '0';
        return pages * Environment.SystemPageSize;
    }

    public void Dispose() => _statm?.Dispose();
}
