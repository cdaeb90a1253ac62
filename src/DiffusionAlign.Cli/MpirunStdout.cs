using DiffusionAlign.Distributed;

namespace DiffusionAlign.Cli;

/// <summary>
/// Keeps a rank's stdout plain under <c>mpirun</c>. Open MPI gives each rank a pseudo-terminal for stdout and relays
/// what it reads there to mpirun's own stdout. .NET, seeing a terminal, starts its console by writing the terminal's
/// keypad-transmit sequence (terminfo's smkx: ESC[?1h ESC= for xterm) to it, so those bytes would reach mpirun's
/// stdout ahead of any result and break <c>mpirun ... dalign eval --json | jq</c>. .NET takes the sequence from the
/// terminfo entry that TERM names; a rank forgets TERM before its console starts. It never reads keys, and its stderr,
/// where progress goes, is a pipe under mpirun anyway. Without mpirun nothing changes.
/// </summary>
public static class MpirunStdout
{
    /// <summary>Call first thing in <c>Main</c>: once <c>Console.Out</c> exists, the sequence is written.</summary>
    public static void KeepPlain()
    {
        if (Communicators.StartedByMpirun && !Console.IsOutputRedirected)
            Environment.SetEnvironmentVariable("TERM", null);
    }
}
