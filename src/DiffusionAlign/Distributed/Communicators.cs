namespace DiffusionAlign.Distributed;

/// <summary>
/// Which group of processes this one belongs to, as <c>mpirun</c> tells it in the environment: Open MPI sets
/// <c>OMPI_COMM_WORLD_SIZE</c> (and <c>OMPI_COMM_WORLD_LOCAL_SIZE</c>, the ranks on this machine) in each process
/// it starts. Without them the process is alone, and MPI is never loaded.
/// </summary>
public static class Communicators
{
    public const string WorldSizeVariable = "OMPI_COMM_WORLD_SIZE";
    public const string LocalSizeVariable = "OMPI_COMM_WORLD_LOCAL_SIZE";

    /// <summary>Whether <c>mpirun</c> started this process.</summary>
    public static bool StartedByMpirun => Environment.GetEnvironmentVariable(WorldSizeVariable) is not null;

    /// <summary>
    /// Open MPI's world under <c>mpirun</c>, else <see cref="SingleProcessCommunicator.Instance"/>. Dispose it at the
    /// end of the process (finalises MPI).
    /// </summary>
    public static ICommunicator FromEnvironment() =>
        StartedByMpirun ? new MpiCommunicator() : SingleProcessCommunicator.Instance;

    /// <summary>Processes of this job on this machine (1 without <c>mpirun</c>), which share its cores.</summary>
    public static int LocalProcesses() =>
        int.TryParse(Environment.GetEnvironmentVariable(LocalSizeVariable), out int n) && n >= 1 ? n : 1;

    /// <summary>Default LibTorch threads per process: its machine's cores shared by its ranks.</summary>
    public static int DefaultThreads() => Math.Max(1, Environment.ProcessorCount / LocalProcesses());
}
