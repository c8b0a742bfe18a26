namespace Godo.Agent.Docker;

public sealed record DockerMetadataClientOptions
{
    public const string DefaultSocketPath = "/var/run/docker.sock";

    /// <summary>Unix socket of the Docker engine.</summary>
    public string SocketPath { get; init; } = DefaultSocketPath;
    /// <summary>Time limit of one list/inspect/ping request (the event stream has none).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>First wait after Docker could not be reached; doubles up to <see cref="MaxBackoff"/>, back to this after a good connection.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(500);
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Inspect the container after each event (except destroy) and attach the result to the event.</summary>
    public bool InspectOnEvent { get; init; } = true;
    /// <summary>Inspects run at once while listing.</summary>
    public int MaxParallelInspects { get; init; } = 4;
}
