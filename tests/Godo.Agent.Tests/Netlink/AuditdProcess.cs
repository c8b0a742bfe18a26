using System.Diagnostics;

namespace Godo.Agent.Tests.Netlink;

/// <summary>
/// Debian's auditd run in the foreground with a private config directory (own log file, no plugins), so a test
/// can check godo beside a real audit daemon. `-s nochange` keeps auditd from touching the enabled flag.
/// </summary>
internal sealed class AuditdProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    private AuditdProcess(Process process, string dir)
    {
        _process = process;
        _dir = dir;
    }

    public int Pid => _process.Id;
    public string LogFile => Path.Combine(_dir, "audit.log");

    public static AuditdProcess Start()
    {
        var dir = Directory.CreateTempSubdirectory("godo-auditd-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "plugins.d"));
        var conf = File.ReadAllLines("/etc/audit/auditd.conf").Select(line => line.Split('=')[0].Trim() switch
        {
            "log_file" => $"log_file = {Path.Combine(dir, "audit.log")}",
            "plugin_dir" => $"plugin_dir = {Path.Combine(dir, "plugins.d")}",
            "log_format" => "log_format = RAW",
            "log_group" => "log_group = root",
            "flush" => "flush = DATA", // write through, so the test can see records promptly
            _ => line,
        });
        var confPath = Path.Combine(dir, "auditd.conf");
        File.WriteAllLines(confPath, conf);
        File.SetUnixFileMode(confPath, UnixFileMode.UserRead | UnixFileMode.UserWrite); // auditd refuses lax modes

        var psi = new ProcessStartInfo("auditd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-n", "-s", "nochange", "-c", dir }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var d = new AuditdProcess(p, dir);
        var sw = Stopwatch.StartNew();
        while (AuditctlStatus.Read().Pid != (uint)p.Id)
        {
            if (p.HasExited || sw.Elapsed > TimeSpan.FromSeconds(10))
            {
                d.Dispose();
                throw new InvalidOperationException($"auditd did not register (exited={p.HasExited}): {p.StandardError.ReadToEnd()}");
            }
            Thread.Sleep(50);
        }
        // Registration happens before auditd's event loop (and its signal handling) runs; the DAEMON_START
        // record in the log marks the loop as started.
        d.WaitForLogLine("DAEMON_START", TimeSpan.FromSeconds(5));
        return d;
    }

    public bool WaitForLogLine(string text, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            try
            {
                using var fs = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                if (new StreamReader(fs).ReadToEnd().Contains(text, StringComparison.Ordinal)) return true;
            }
            catch (FileNotFoundException) { }
            Thread.Sleep(50);
        }
        return false;
    }

    /// <summary>
    /// SIGTERM (auditd unregisters itself), repeated because auditd 3.0.9 drops a SIGTERM that arrives just after
    /// start (seen by hand: the first one is ignored, the second works), escalating to SIGKILL; a dead
    /// registration is then released by the guard.
    /// </summary>
    public void Stop()
    {
        for (int i = 0; i < 10 && !_process.HasExited; i++)
        {
            Proc.Run("kill", "-TERM", _process.Id.ToString());
            _process.WaitForExit(1000);
        }
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Stop();
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
