using System.Collections.Immutable;
using Godo.Messages.Api;
using Godo.Messages.Model;

namespace Godo.Messages.Wire;

/// <summary>
/// Aggregator → aggregators (DistributedPubSub <see cref="GodoConstants.HostDirectoryTopic"/>): what one host's entity
/// holds, in small: its summary and its containers. Every member keeps the latest of each host, so the fleet-wide views
/// answer anywhere without the trees. <see cref="Member"/> is the address of the member holding the entity;
/// <see cref="Removed"/>: the host was forgotten (retention).
/// </summary>
public sealed record HostDirectoryEntry(HostSummary Summary, ImmutableArray<ContainerInfo> Containers, string Member, bool Removed = false)
    : IGodoWireMessage;

/// <summary>
/// A question for one host's entity, through the shard region: its tree (live processes, or all with
/// <see cref="IncludeExited"/>), narrowed to a container id, exe/comm and argv substrings, at most <see cref="Limit"/> processes;
/// or, with <see cref="SummaryOnly"/>, its summary alone. <see cref="AnswerBy"/> (Unix ms, 0 for none): when the asker
/// stops waiting. Queries buffered while a host's shard moves reach its entity all at once when it has recovered; those
/// nobody awaits any more are dropped there instead of each building and sending a whole tree. <see cref="QueryId"/>
/// (0 for none): the asker sends the same query again while it waits (one sent to a member that then died is lost), and
/// an entity answers each id once, so a slow answer is still awaited and a repeat costs no second tree.
/// </summary>
public sealed record HostTreeQuery(string Host, bool IncludeExited = false, string? Container = null, string? Exe = null, string? Argv = null,
    int Limit = int.MaxValue, bool SummaryOnly = false, long AnswerBy = 0, long QueryId = 0) : IGodoWireMessage;

/// <summary>The entity's answer: its summary and the tree, or why there is none (<see cref="Status"/> 404 unknown, 410 let go).</summary>
public sealed record HostTreeReply(string Host, HostTree? Tree, int Status = 200, string? Problem = null, HostSummary? Summary = null) : IGodoWireMessage;

/// <summary>Aggregator → a host's entity: the ClusterClient of the agent at <see cref="AgentAddress"/> went unreachable.</summary>
public sealed record HostAgentLost(string Host, string AgentAddress) : IGodoWireMessage;

/// <summary>
/// Aggregator → aggregators (DistributedPubSub <see cref="GodoConstants.FleetEventsTopic"/>): the fleet events one host's
/// entity derived (execs, exits, containers, status), so every member's event stream shows the whole fleet.
/// </summary>
public sealed record FleetEventBatch(ImmutableArray<FleetEvent> Events) : IGodoWireMessage;
