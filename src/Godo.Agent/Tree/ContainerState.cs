namespace Godo.Agent.Tree;

/// <summary>What the audit lineage tells about one container: its shim and its init.</summary>
public sealed class ContainerState(string id)
{
    public string Id { get; } = id;
    public ProcessNode? Shim { get; set; }
    public ProcessNode? Init { get; set; }
    public long StartedMs { get; set; }
    public HashSet<ProcessNode> Members { get; } = new();
    public bool Running => Shim is { Alive: true } || Members.Count > 0;
}
