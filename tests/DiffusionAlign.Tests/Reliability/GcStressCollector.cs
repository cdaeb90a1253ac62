namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// A thread that makes garbage and forces blocking collections back to back, each followed by the finalizers it
/// queued. TorchSharp frees an unrooted Scalar in its finalizer, so a conversion the library forgot to root is
/// freed while LibTorch still reads it far more often here than in a real run, where collections are rare and
/// mostly start on the thread doing the work.
/// </summary>
public sealed class GcStressCollector : IDisposable
{
    /// <summary>
    /// Young collections after each full one. A Scalar made for one call is still in generation 0 when it dies,
    /// so a young collection frees it as surely as a full one, at a fraction of the cost. Full collections alone
    /// came too seldom beside the work: a bare number passed tens of thousands of times in a minute went
    /// unnoticed, where with this mix a few thousand usually end the run.
    /// </summary>
    public const int YoungPerFull = 20;

    private readonly Thread _thread;
    private volatile bool _stop;
    private int _full;
    private int _young;

    private GcStressCollector()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "gc-stress" };
        _thread.Start();
    }

    /// <summary>Starts collecting at once; collection stops when disposed.</summary>
    public static GcStressCollector Start() => new();

    /// <summary>Forced gen-2 collections this thread has finished.</summary>
    public int FullCollections => Volatile.Read(ref _full);

    /// <summary>Forced gen-0 collections this thread has finished.</summary>
    public int YoungCollections => Volatile.Read(ref _young);

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }

    private void Run()
    {
        var keep = new object[64];
        int round = 0;
        while (!_stop)
        {
            // Small objects churn the young generations; an array over 85 KB lands on the large object heap,
            // so each full collection also has a large heap to sweep.
            for (int i = 0; i < 1024; i++) keep[i % keep.Length] = new byte[64 + i % 512];
            keep[round++ % keep.Length] = new byte[100_000];
            GC.Collect(2, GCCollectionMode.Forced, blocking: true);
            GC.WaitForPendingFinalizers();
            Interlocked.Increment(ref _full);
            for (int y = 0; y < YoungPerFull && !_stop; y++)
            {
                for (int i = 0; i < 64; i++) keep[i] = new byte[64 + i];
                GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
                Interlocked.Increment(ref _young);
            }
        }
    }
}
