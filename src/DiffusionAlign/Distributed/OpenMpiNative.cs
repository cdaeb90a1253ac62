using System.Runtime.InteropServices;

namespace DiffusionAlign.Distributed;

/// <summary>
/// The few functions of Open MPI's C API (<c>libmpi.so.40</c>, Open MPI 4.x and 5.x) that
/// <see cref="MpiCommunicator"/> calls, bound with P/Invoke. Not the MPI.NET package: its 1.4.0 binds
/// <c>msmpi.dll</c> (Microsoft MPI) and MS-MPI's integer handles, so on Linux it fails to load, and Open MPI's
/// handles are not integers anyway: <c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_SUM</c>... are addresses of
/// exported globals (<c>ompi_mpi_comm_world</c>, ...), which <see cref="Handles"/> looks up.
/// </summary>
internal static class OpenMpiNative
{
    public const string Library = "libmpi.so.40";

    /// <summary>MPI_SUCCESS.</summary>
    public const int Success = 0;

    /// <summary>
    /// MPI_THREAD_SERIALIZED in Open MPI's enum: calls may come from any thread, one at a time (a CLI may run the
    /// training loop on another thread than the one that initialised MPI).
    /// </summary>
    public const int ThreadSerialized = 2;

    /// <summary>MPI_IN_PLACE: Open MPI defines it as the address 1.</summary>
    public static readonly IntPtr InPlace = 1;

    /// <summary>The predefined handles, read from libmpi's exported symbols once it is loaded.</summary>
    public sealed class Handles
    {
        public IntPtr CommWorld { get; }
        public IntPtr Float { get; }
        public IntPtr Double { get; }
        public IntPtr Byte { get; }
        public IntPtr Sum { get; }

        public Handles()
        {
            IntPtr lib = NativeLibrary.Load(Library);
            CommWorld = NativeLibrary.GetExport(lib, "ompi_mpi_comm_world");
            Float = NativeLibrary.GetExport(lib, "ompi_mpi_float");
            Double = NativeLibrary.GetExport(lib, "ompi_mpi_double");
            Byte = NativeLibrary.GetExport(lib, "ompi_mpi_byte");
            Sum = NativeLibrary.GetExport(lib, "ompi_mpi_op_sum");
        }
    }

    // DllImport, not LibraryImport: the source-generated form needs unsafe code, and these signatures are
    // blittable (buffers go as `ref` to their first element), so the runtime marshals nothing.
    [DllImport(Library)]
    public static extern int MPI_Initialized(out int flag);

    [DllImport(Library)]
    public static extern int MPI_Finalized(out int flag);

    [DllImport(Library)]
    public static extern int MPI_Init_thread(IntPtr argc, IntPtr argv, int required, out int provided);

    [DllImport(Library)]
    public static extern int MPI_Finalize();

    [DllImport(Library)]
    public static extern int MPI_Abort(IntPtr comm, int errorCode);

    [DllImport(Library)]
    public static extern int MPI_Comm_rank(IntPtr comm, out int rank);

    [DllImport(Library)]
    public static extern int MPI_Comm_size(IntPtr comm, out int size);

    [DllImport(Library)]
    public static extern int MPI_Allreduce(IntPtr sendBuffer, ref float receiveBuffer, int count, IntPtr type,
        IntPtr op, IntPtr comm);

    [DllImport(Library)]
    public static extern int MPI_Allreduce(IntPtr sendBuffer, ref double receiveBuffer, int count, IntPtr type,
        IntPtr op, IntPtr comm);

    [DllImport(Library)]
    public static extern int MPI_Bcast(ref byte buffer, int count, IntPtr type, int root, IntPtr comm);

    [DllImport(Library)]
    public static extern int MPI_Allgather(ref byte sendBuffer, int sendCount, IntPtr sendType, ref byte receiveBuffer,
        int receiveCount, IntPtr receiveType, IntPtr comm);

    [DllImport(Library)]
    public static extern int MPI_Gather(ref byte sendBuffer, int sendCount, IntPtr sendType, ref byte receiveBuffer,
        int receiveCount, IntPtr receiveType, int root, IntPtr comm);

    [DllImport(Library)]
    public static extern int MPI_Barrier(IntPtr comm);
}
