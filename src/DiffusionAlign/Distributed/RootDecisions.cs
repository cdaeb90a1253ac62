using System.Text.Json;

namespace DiffusionAlign.Distributed;

/// <summary>
/// Answers rank 0 gives every process of a group: whether a saved result exists, what a file holds. Resumable
/// experiments decide what to redo from the files in their folder; asking one process and copying its answer makes
/// every rank take the same branch (and join the same collectives), even where a shared file system shows a file
/// to one machine a moment before another. Alone, each method simply computes the answer.
/// </summary>
public static class RootDecisions
{
    /// <summary>
    /// Rank 0's <paramref name="decide"/>() on every process (the others never call it), copied as JSON.
    /// </summary>
    public static T FromRoot<T>(this ICommunicator world, Func<T> decide, JsonSerializerOptions? options = null)
    {
        if (world.Size == 1) return decide();
        if (world.Rank == 0)
        {
            var value = decide();
            world.BroadcastBytes(JsonSerializer.SerializeToUtf8Bytes(value, options));
            return value;
        }
        return JsonSerializer.Deserialize<T>(world.BroadcastBytes(null)!, options)!;
    }

    /// <summary>
    /// The bytes of the file at <paramref name="path"/> as rank 0 reads them, on every process; null when rank 0
    /// finds no file there.
    /// </summary>
    public static byte[]? ReadOnRoot(this ICommunicator world, string path)
    {
        if (world.Size == 1) return File.Exists(path) ? File.ReadAllBytes(path) : null;
        return world.BroadcastBytes(world.Rank == 0 && File.Exists(path) ? File.ReadAllBytes(path) : null);
    }

    /// <summary>Rank 0's <paramref name="mine"/> (null or bytes) on every process: length, then bytes.</summary>
    private static byte[]? BroadcastBytes(this ICommunicator world, byte[]? mine)
    {
        var length = new byte[sizeof(long)];
        if (world.Rank == 0) BitConverter.TryWriteBytes(length, mine is null ? -1L : mine.LongLength);
        world.Broadcast(length, root: 0);
        long n = BitConverter.ToInt64(length);
        if (n < 0) return null;
        var bytes = world.Rank == 0 ? mine! : new byte[n];
        world.Broadcast(bytes, root: 0);
        return bytes;
    }
}
