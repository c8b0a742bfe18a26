using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Hosting;
using Godo.Agent.Hosting;
using Godo.Agent.Netlink;
using Godo.Agent.Pipeline;
using Godo.Agent.Tree;
using Godo.Messages.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Godo.Agent.Tests.Live;

/// <summary>
/// The live agent in this process, composed like `godo agent` (AgentCommand.BuildHost): Akka with AddAgent, and the
/// AuditSourceService that opens the kernel session. Every log line (the agent's and Akka's, e.g. each /proc
/// correction) is kept, so a failing test can say what the agent did.
/// </summary>
internal sealed class LiveAgent : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly MemoryLoggerProvider _logs;
    private bool _stopped;

    private LiveAgent(IHost host, MemoryLoggerProvider logs, PipelineStats stats, AgentSettings settings, IActorRef tree)
    {
        _host = host; _logs = logs; Stats = stats; Settings = settings; Tree = tree;
    }

    public PipelineStats Stats { get; }
    public AgentSettings Settings { get; }
    public IActorRef Tree { get; }
    public IReadOnlyCollection<string> Log => _logs.Lines;
    public string StateFile => Settings.AuditStateFile!;

    /// <summary>The settings of the equality tests: netlink, no periodic reconciliation (the audit path alone must be right).</summary>
    public static AgentSettings TestSettings(AuditMode mode = AuditMode.Unicast) => new()
    {
        HostName = "test",
        Source = SourceKind.Netlink,
        AuditMode = mode,
        ReconcileInterval = TimeSpan.Zero,
        AuditStateFile = Path.Combine(Path.GetTempPath(), $"godo-live-{Guid.NewGuid():N}.json"),
        // Every record the kernel sent, so a failing step can be replayed and looked at offline.
        RecordPath = Path.Combine(Path.GetTempPath(), $"godo-live-{Guid.NewGuid():N}.audit.log"),
    };

    public static async Task<LiveAgent> StartAsync(AgentSettings settings)
    {
        var stats = new PipelineStats();
        var logs = new MemoryLoggerProvider();
        var host = new HostBuilder()
            .ConfigureLogging(l => l.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Information)
                .AddFilter("Microsoft", LogLevel.Warning))
            .ConfigureServices(services =>
            {
                services.AddAkka(Godo.Messages.GodoConstants.ActorSystemName + "-live-test", (b, _) =>
                {
                    b.ConfigureLoggers(l =>
                    {
                        l.LogLevel = Akka.Event.LogLevel.InfoLevel;
                        l.ClearLoggers();
                        l.AddLoggerFactory();
                    });
                    b.AddAgent(settings, stats);
                });
                services.AddAuditSource(settings, stats);
            })
            .Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }
        var tree = await host.Services.GetRequiredService<IRequiredActor<ProcessTreeActor>>().GetAsync();
        return new LiveAgent(host, logs, stats, settings, tree);
    }

    public Task<HostTree> GetTreeAsync() => Tree.Ask<HostTree>(new TreeProtocol.GetTree(), TimeSpan.FromSeconds(10));

    public async Task<long> CorrectionsAsync() => (await GetTreeAsync()).Stats.GetValueOrDefault("corrections");

    /// <summary>The log lines that describe /proc corrections (one per correction: each one is loss or a bug), in order.</summary>
    public IReadOnlyList<string> CorrectionLines => _logs.Corrections;

    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await _host.StopAsync(TimeSpan.FromSeconds(15));
        _host.Dispose();
        File.Delete(StateFile);
        // The records are kept only for a failed step, in TestResults/live (CI keeps that folder).
        if (Settings.RecordPath is { } records && File.Exists(records))
        {
            if (KeepRecords)
            {
                var dir = Path.Combine(TestBinaries.RepoRoot(), "TestResults", "live");
                Directory.CreateDirectory(dir);
                File.Copy(records, Path.Combine(dir, Path.GetFileName(records)), overwrite: true);
            }
            File.Delete(records);
        }
    }

    /// <summary>Set by a failing step: keep the records received for a look offline (`godo replay FILE`).</summary>
    public bool KeepRecords { get; set; }

    public async ValueTask DisposeAsync() => await StopAsync();

    private sealed class MemoryLoggerProvider : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();
        private readonly List<string> _corrections = new();
        public IReadOnlyCollection<string> Lines => _lines;
        public IReadOnlyList<string> Corrections { get { lock (_corrections) return _corrections.ToList(); } }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
        public void Dispose() { }

        private sealed class Logger(MemoryLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var line = $"{DateTime.Now:HH:mm:ss.fff} {logLevel} {category.Split('.').Last()}: {formatter(state, exception)}";
                if (exception is not null) line += " | " + exception.GetBaseException().Message;
                owner._lines.Enqueue(line);
                if (line.Contains("reconcile (", StringComparison.Ordinal)) lock (owner._corrections) owner._corrections.Add(line);
                while (owner._lines.Count > 5000) owner._lines.TryDequeue(out _);
            }
        }
    }
}
