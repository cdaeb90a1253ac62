using System.Diagnostics;
using System.Text;

namespace DiffusionAlign.Bench.Machine;

/// <summary>What a child process left: its exit code and both output streams.</summary>
public sealed record ChildProcessResult(int ExitCode, string Stdout, string Stderr, bool TimedOut);

/// <summary>
/// Runs a program to completion with both pipes read concurrently (so neither can fill up and
/// stall the child), optionally passing each stdout line on as it comes (live progress), and
/// killing it after a timeout. Used for the PyTorch peer and for the bench's own child process.
/// </summary>
public static class ChildProcess
{
    /// <summary>The result, or null when the program could not be started.</summary>
    public static ChildProcessResult? Run(string fileName, IEnumerable<string> args, TimeSpan? timeout = null,
        Action<string>? onStdoutLine = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);

        using var process = new Process { StartInfo = info };
        var lines = new StringBuilder();
        if (onStdoutLine is not null)
        {
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is not string line) return;
                lines.AppendLine(line);
                onStdoutLine(line);
            };
        }
        try
        {
            if (!process.Start()) return null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }

        Task<string> stdout;
        if (onStdoutLine is null)
        {
            stdout = process.StandardOutput.ReadToEndAsync();
        }
        else
        {
            process.BeginOutputReadLine();
            stdout = Task.FromResult(""); // filled from the collected lines once the process is done
        }
        var stderr = process.StandardError.ReadToEndAsync();
        bool timedOut = false;
        if (!process.WaitForExit(timeout ?? Timeout.InfiniteTimeSpan))
        {
            timedOut = true;
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited between the timeout and the kill.
            }
        }
        process.WaitForExit(); // flushes the redirected streams (and the line events)
        string output = onStdoutLine is null ? stdout.Result : lines.ToString();
        return new ChildProcessResult(timedOut ? -1 : process.ExitCode, output, stderr.Result, timedOut);
    }
}
