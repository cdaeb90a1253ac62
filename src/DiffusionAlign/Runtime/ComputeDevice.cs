using TorchSharp;

namespace DiffusionAlign.Runtime;

/// <summary>Parses a user's device name and sets up LibTorch threading for it.</summary>
public static class ComputeDevice
{
    /// <summary>"cpu", "cuda" or "cuda:N"; anything else, or CUDA where LibTorch has none, is a user error.</summary>
    public static torch.Device Parse(string name)
    {
        string n = name.Trim().ToLowerInvariant();
        if (n == "cpu") return torch.CPU;
        if (n == "cuda" || n.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
                throw new DiffusionAlignException(
                    $"device '{name}' requested but CUDA is not available (this build uses TorchSharp-cpu; "
                    + "install a CUDA TorchSharp package on a GPU machine)");
            return torch.device(n);
        }
        throw new DiffusionAlignException($"unknown device '{name}': use cpu, cuda or cuda:N");
    }

    /// <summary>
    /// Uses every core for intra-op parallelism (LibTorch's default can under-use small machines); under
    /// <c>mpirun</c>, this machine's cores divided among its ranks, which would otherwise contend for them.
    /// </summary>
    public static void ConfigureThreads(int? threads = null)
    {
        int n = threads ?? Distributed.Communicators.DefaultThreads();
        if (n > 0 && torch.get_num_threads() != n) torch.set_num_threads(n);
    }

    /// <summary>LibTorch's intra-op threads in use.</summary>
    public static int Threads() => torch.get_num_threads();
}
