using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace DiffusionAlign.Tests.Distributed;

/// <summary>
/// An <c>mpirun</c> job running in the background, for tests that act on it while it runs: its output is collected
/// as it comes, and each rank's process can be found (Open MPI sets <c>OMPI_COMM_WORLD_RANK</c> in it).
/// </summary>
public sealed class MpirunJob : IDisposable
{
    private readonly Process _mpirun;
    private readonly StringBuilder _err = new();

    private MpirunJob(Process mpirun) => _mpirun = mpirun;

    /// <summary>Starts <c>dalign args</c> as <paramref name="ranks"/> processes.</summary>
    public static MpirunJob Start(int ranks, params string[] args)
    {
        var process = new Process { StartInfo = Mpirun.StartInfo(ranks, args) };
        var job = new MpirunJob(process);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is string line)
                lock (job._err) job._err.AppendLine(line);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return job;
    }

    public bool HasExited => _mpirun.HasExited;

    public int ExitCode => _mpirun.ExitCode;

    public string Stderr
    {
        get
        {
            lock (_err) return _err.ToString();
        }
    }

    /// <summary>
    /// The process of rank <paramref name="rank"/>: a descendant of mpirun whose environment names that rank; null
    /// while it has not started.
    /// </summary>
    public int? RankProcess(int rank)
    {
        string wanted = "OMPI_COMM_WORLD_RANK=" + rank.ToString(CultureInfo.InvariantCulture);
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || !DescendsFromMpirun(pid)) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "environ")).Split('\0').Contains(wanted)) return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while it was read.
            }
        }
        return null;
    }

    /// <summary>Waits for mpirun to end (killing the job after <paramref name="limit"/>).</summary>
    public void WaitForExit(TimeSpan limit)
    {
        if (!_mpirun.WaitForExit(limit))
        {
            _mpirun.Kill(entireProcessTree: true);
            throw new TimeoutException($"mpirun did not end within {limit}:\n{Stderr}");
        }
        _mpirun.WaitForExit(); // the output handlers have run
    }

    public void Dispose()
    {
        if (!_mpirun.HasExited) _mpirun.Kill(entireProcessTree: true);
        _mpirun.Dispose();
    }

    private bool DescendsFromMpirun(int pid)
    {
        for (int depth = 0; depth < 4 && pid > 1; depth++)
        {
            int? parent = Parent(pid);
            if (parent is null) return false;
            if (parent == _mpirun.Id) return true;
            pid = parent.Value;
        }
        return false;
    }

    /// <summary>The parent's id from /proc/pid/stat (its fourth field, after the name in parentheses).</summary>
    private static int? Parent(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException
                                      or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}
