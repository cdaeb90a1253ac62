using System.Diagnostics;
using System.Text;

namespace DiffusionAlign.Tests.Reliability;

/// <summary>
/// One <c>dalign</c> run as a real child process (<c>dotnet dalign.dll ...</c>), so a kill is a SIGKILL of a whole
/// process: no finally blocks, no flushes, no Ctrl+C handler — what a crash, an OOM kill or a pre-empted node does.
/// </summary>
public sealed class KillResumeChild : IDisposable
{
    /// <summary>Exit code the runtime reports for a process ended by SIGKILL (128 + 9).</summary>
    public const int KilledExitCode = 137;

    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();

    private KillResumeChild(Process process)
    {
        _process = process;
        Clock = Stopwatch.StartNew();
    }

    /// <summary>Wall time when the child was started (before LibTorch loads, which takes a few seconds).</summary>
    public DateTime StartedUtc { get; } = DateTime.UtcNow;

    public Stopwatch Clock { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The child's process id, for signals other than the kill this class sends.</summary>
    public int Id => _process.Id;

    public int ExitCode => _process.ExitCode;

    public string Stdout
    {
        get
        {
            lock (_out) return _out.ToString();
        }
    }

    public string Stderr
    {
        get
        {
            lock (_err) return _err.ToString();
        }
    }

    /// <summary>Starts <c>dalign args</c> from the test's output folder, where the build copies the CLI.</summary>
    public static KillResumeChild Start(IEnumerable<string> args)
    {
        // The child inherits this process's environment (LD_LIBRARY_PATH and the like, if the build set any).
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "dalign.dll"));
        foreach (string a in args) info.ArgumentList.Add(a);
        var process = new Process { StartInfo = info };
        var child = new KillResumeChild(process);
        process.OutputDataReceived += (_, e) => Append(child._out, e.Data);
        process.ErrorDataReceived += (_, e) => Append(child._err, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Sends SIGKILL (Process.Kill does on Linux) and waits until the child is gone.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It ended on its own between the check and the kill; its exit code says how.
        }
        WaitForExit();
    }

    /// <summary>Waits for the exit and for the output pipes to drain.</summary>
    public void WaitForExit()
    {
        if (!_process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException("dalign did not finish within 5 minutes:\n" + Stdout + Stderr);
        }
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }

    /// <summary>The dotnet host that runs the tests (the SDK sets DOTNET_HOST_PATH), else dotnet on PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : "dotnet";

    private static void Append(StringBuilder target, string? line)
    {
        if (line is null) return;
        lock (target) target.AppendLine(line);
    }
}
