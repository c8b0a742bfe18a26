using Godo.Agent.Netlink;
using Godo.Agent.Tests.Live;

namespace Godo.Agent.Tests.Netlink;

/// <summary>corpus-workloads/audit.rules, which capture.sh loads to record a corpus, is the agent's own rule list.</summary>
public sealed class CorpusRulesTests
{
    [Fact]
    public void The_corpus_capture_loads_exactly_the_agents_rules_but_its_self_exclusion()
    {
        var path = Path.Combine(TestBinaries.RepoRoot(), "corpus-workloads", "audit.rules");
        var inFile = File.ReadAllLines(path).Where(l => l.Length > 0 && !l.StartsWith('#')).ToArray();
        var agent = GodoAuditRules.Build(4242).Skip(1).Select(r => r.Rule.ToString()).ToArray();
        Assert.True(agent.SequenceEqual(inFile), $"{path} should hold:\n{string.Join('\n', agent)}");
    }
}
