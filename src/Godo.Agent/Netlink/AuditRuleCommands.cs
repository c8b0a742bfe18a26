namespace Godo.Agent.Netlink;

/// <summary>AUDIT_ADD_RULE / AUDIT_DEL_RULE / AUDIT_LIST_RULES on an <see cref="AuditNetlinkSocket"/> (CAP_AUDIT_CONTROL).</summary>
public static class AuditRuleCommands
{
    /// <summary>Adds a rule; EEXIST if an identical rule exists, EPERM if the config is locked (enabled=2).</summary>
    public static void AddRule(this AuditNetlinkSocket socket, AuditRule rule) =>
        socket.Execute(AuditMessageTypes.AddRule, rule.ToBytes(), $"AUDIT_ADD_RULE({rule})");

    /// <summary>
    /// Deletes the rule that compares equal field by field (flags, action, fields, values, strings, mask); ENOENT if
    /// none. Pass a rule as <see cref="ListRules"/> returned it: the kernel clears AUDIT_FILTER_PREPEND once a rule is
    /// placed, so the prepended rule as originally added no longer compares equal.
    /// </summary>
    public static void DeleteRule(this AuditNetlinkSocket socket, AuditRule rule) =>
        socket.Execute(AuditMessageTypes.DelRule, rule.ToBytes(), $"AUDIT_DEL_RULE({rule})");

    /// <summary>Every rule currently loaded, on every filter list, in kernel order.</summary>
    public static IReadOnlyList<AuditRule> ListRules(this AuditNetlinkSocket socket) =>
        socket.QueryAll(AuditMessageTypes.ListRules, AuditMessageTypes.ListRules, "AUDIT_LIST_RULES")
              .Select(p => AuditRule.Parse(p))
              .ToArray();
}
