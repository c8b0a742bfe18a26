using System.Buffers.Binary;
using System.Text;
using Godo.Agent.Netlink;

namespace Godo.Agent.Tests.Netlink;

/// <summary>Binary layout of audit_rule_data; pure, no kernel.</summary>
public class AuditRuleLayoutTests
{
    private static uint U32(byte[] b, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(offset));
    private static uint FieldId(byte[] b, int i) => U32(b, 268 + i * 4);
    private static uint FieldValue(byte[] b, int i) => U32(b, 524 + i * 4);
    private static uint FieldOp(byte[] b, int i) => U32(b, 780 + i * 4);

    [Fact]
    public void Header_is_1040_bytes_and_a_rule_without_strings_has_nothing_after_it()
    {
        var b = AuditRuleBuilder.Exit(AuditRuleAction.Always).Arch(AuditArch.X86_64).Syscalls(59).Build().ToBytes();
        Assert.Equal(1040, AuditRule.HeaderSize);
        Assert.Equal(1040, b.Length);
        Assert.Equal(4u, U32(b, 0));   // flags = AUDIT_FILTER_EXIT
        Assert.Equal(2u, U32(b, 4));   // action = AUDIT_ALWAYS
        Assert.Equal(1u, U32(b, 8));   // field_count
        Assert.Equal(0u, U32(b, 1036)); // buflen
    }

    [Fact]
    public void Key_is_a_string_field_with_its_length_in_values_and_its_bytes_in_buf_without_nul()
    {
        var b = AuditRuleBuilder.Exit(AuditRuleAction.Always).Arch(AuditArch.X86_64).Syscalls(59).Key("godo").Build().ToBytes();
        Assert.Equal(1044, b.Length); // 1040 + 4, already 4-aligned
        Assert.Equal(2u, U32(b, 8));
        Assert.Equal(210u, FieldId(b, 1));
        Assert.Equal(4u, FieldValue(b, 1));
        Assert.Equal((uint)AuditOperator.Equal, FieldOp(b, 1));
        Assert.Equal(4u, U32(b, 1036));
        Assert.Equal("godo", Encoding.ASCII.GetString(b, 1040, 4));
    }

    [Fact]
    public void Payload_is_padded_to_4_bytes_but_buflen_is_exact()
    {
        var b = AuditRuleBuilder.Exit(AuditRuleAction.Always).Arch(AuditArch.X86_64).Syscalls(59).Key("godo1").Build().ToBytes();
        Assert.Equal(1048, b.Length);
        Assert.Equal(5u, U32(b, 1036));
    }

    [Fact]
    public void Syscall_numbers_set_bit_nr_mod_32_of_word_nr_div_32()
    {
        var rule = AuditRuleBuilder.Exit(AuditRuleAction.Always).Arch(AuditArch.X86_64).Syscalls(0, 59, 435).Build();
        var b = rule.ToBytes();
        Assert.Equal(1u, U32(b, 12 + 0 * 4));            // nr 0 → word 0 bit 0
        Assert.Equal(1u << 27, U32(b, 12 + 1 * 4));      // nr 59 → word 1 bit 27
        Assert.Equal(1u << 19, U32(b, 12 + 13 * 4));     // nr 435 → word 13 bit 19
        for (int w = 0; w < 64; w++)
            if (w is not (0 or 1 or 13)) Assert.Equal(0u, U32(b, 12 + w * 4));
        Assert.Equal(new[] { 0, 59, 435 }, rule.Syscalls());
    }

    [Fact]
    public void All_syscalls_sets_every_mask_word()
    {
        var b = AuditRuleBuilder.Exit(AuditRuleAction.Never).AllSyscalls().Pid(42).Build().ToBytes();
        for (int w = 0; w < 64; w++) Assert.Equal(uint.MaxValue, U32(b, 12 + w * 4));
        Assert.Equal(0u, FieldId(b, 0)); // AUDIT_PID
        Assert.Equal(42u, FieldValue(b, 0));
        Assert.Equal(0u, U32(b, 4));     // AUDIT_NEVER
    }

    [Fact]
    public void Arch_is_the_first_field_and_must_precede_syscalls_and_fields()
    {
        var b = AuditRuleBuilder.Exit(AuditRuleAction.Always).Arch(AuditArch.I386).Syscalls(37).Argument(1, 9).Key("godo").Build().ToBytes();
        Assert.Equal(11u, FieldId(b, 0));
        Assert.Equal(0x40000003u, FieldValue(b, 0));
        Assert.Equal(201u, FieldId(b, 1)); // a1
        Assert.Equal(9u, FieldValue(b, 1));
        Assert.Equal(210u, FieldId(b, 2));

        Assert.Throws<InvalidOperationException>(() => AuditRuleBuilder.Exit(AuditRuleAction.Always).Syscalls(59));
        Assert.Throws<InvalidOperationException>(() => AuditRuleBuilder.Exit(AuditRuleAction.Always).Pid(1).Arch(AuditArch.X86_64));
    }

    [Fact]
    public void Prepend_sets_the_filter_prepend_flag()
    {
        var b = AuditRuleBuilder.Exit(AuditRuleAction.Never).Prepend().AllSyscalls().Build().ToBytes();
        Assert.Equal(4u | 0x10u, U32(b, 0));
    }

    [Fact]
    public void Parse_round_trips_including_several_string_fields_and_multi_keys()
    {
        var rule = AuditRuleBuilder.Exit(AuditRuleAction.Always).Prepend().Arch(AuditArch.X86_64).Syscalls(59, 322)
            .StringField(AuditFieldIds.Exe, "/usr/bin/true").Argument(2, 0x100, AuditOperator.BitMask).Key("godo", "other").Build();
        var bytes = rule.ToBytes();
        var parsed = AuditRule.Parse(bytes);
        Assert.Equal(bytes, parsed.ToBytes());
        Assert.True(parsed.Prepend);
        Assert.Equal(AuditFilterList.Exit, parsed.List);
        Assert.Equal("/usr/bin/true", parsed.Fields[1].Text);
        Assert.Equal(new[] { "godo", "other" }, parsed.Keys);
        Assert.True(parsed.HasKey("godo"));
        Assert.False(parsed.HasKey("godo-test"));
        Assert.Equal((uint)AuditArch.X86_64, parsed.Arch);
    }

    [Fact]
    public void Key_longer_than_256_bytes_is_refused()
    {
        Assert.Throws<ArgumentException>(() => AuditRuleBuilder.Exit(AuditRuleAction.Always).AllSyscalls().Key(new string('k', 257)));
    }

    [Fact]
    public void Godo_rule_set_starts_with_self_exclusion_and_tags_every_rule_godo()
    {
        var rules = GodoAuditRules.Build(4242);
        var self = rules[0].Rule;
        Assert.Equal(AuditRuleAction.Never, self.Action);
        Assert.True(self.Prepend);
        Assert.True(self.AllSyscalls);
        Assert.Contains(self.Fields, f => f.Field == AuditFieldIds.Pid && f.Value == 4242);
        Assert.All(rules, r => Assert.True(r.Rule.HasKey("godo"), r.Rule.ToString()));

        var b64 = rules.Single(r => r.Purpose == "b64 process lifecycle").Rule;
        Assert.Equal((uint)AuditArch.X86_64, b64.Fields[0].Value);
        Assert.Equal(new[] { 56, 57, 58, 59, 231, 322, 435 }, b64.Syscalls());
        var b32 = rules.Single(r => r.Purpose == "b32 process lifecycle").Rule;
        Assert.Equal(new[] { 2, 11, 120, 190, 252, 358 }, b32.Syscalls());

        var kill = rules.Single(r => r.Purpose == "b64 kill/tkill SIGKILL").Rule;
        Assert.Equal(new[] { 62, 200 }, kill.Syscalls());
        Assert.Contains(kill.Fields, f => f.Field == AuditFieldIds.A1 && f.Value == 9);
        var tgkill = rules.Single(r => r.Purpose == "b32 tgkill SIGKILL").Rule;
        Assert.Equal(new[] { 270 }, tgkill.Syscalls());
        Assert.Contains(tgkill.Fields, f => f.Field == AuditFieldIds.A2 && f.Value == 9);
        Assert.Contains(rules, r => r.Optional && r.Rule.HasSyscall(435) && r.Rule.Arch == (uint)AuditArch.I386);
    }

    [Theory]
    [InlineData("b64 wait4 reaps", AuditArch.X86_64, new[] { 61 })]
    [InlineData("b32 wait4/waitpid reaps", AuditArch.I386, new[] { 7, 114 })]
    public void Reap_rules_take_wait_calls_that_succeeded_with_a_pid(string purpose, AuditArch arch, int[] syscalls)
    {
        var rule = GodoAuditRules.Build(4242).Single(r => r.Purpose == purpose).Rule;
        Assert.Equal((uint)arch, rule.Arch);
        Assert.Equal(syscalls, rule.Syscalls());
        // exit is compared as u32 by the kernel, so success=1 is what keeps -ECHILD out.
        Assert.Contains(rule.Fields, f => f.Field == AuditFieldIds.Success && f.Operator == AuditOperator.Equal && f.Value == 1);
        Assert.Contains(rule.Fields, f => f.Field == AuditFieldIds.Exit && f.Operator == AuditOperator.GreaterThan && f.Value == 0);
        Assert.Contains(" -F success=1 -F exit>0 -F key=godo", rule.ToString());
    }

    [Theory]
    [InlineData("b64 waitid P_PID", AuditArch.X86_64, 247)]
    [InlineData("b32 waitid P_PID", AuditArch.I386, 284)]
    public void Waitid_rules_take_only_p_pid(string purpose, AuditArch arch, int syscall)
    {
        var godo = GodoAuditRules.Build(4242).Single(r => r.Purpose == purpose);
        var rule = godo.Rule;
        Assert.False(godo.Optional); // every kernel with these ABIs has waitid
        Assert.Equal((uint)arch, rule.Arch);
        Assert.Equal(new[] { syscall }, rule.Syscalls());
        Assert.Contains(rule.Fields, f => f.Field == AuditFieldIds.A0 && f.Operator == AuditOperator.Equal && f.Value == GodoAuditRules.PPid);
        Assert.Contains(rule.Fields, f => f.Field == AuditFieldIds.Success && f.Value == 1);
    }
}

/// <summary>audit_status and netlink framing; pure.</summary>
public class AuditFramingTests
{
    [Fact]
    public void Status_parses_the_full_struct_and_round_trips()
    {
        var s = new AuditStatus { Enabled = 1, Failure = 1, Pid = 77, BacklogLimit = 8192, Lost = 5, Backlog = 3, BacklogWaitTime = 0, Length = 44 };
        var p = AuditStatus.Parse(s.ToBytes());
        Assert.Equal(s, p);
        Assert.True(p.HasBacklogWaitTime);
    }

    [Fact]
    public void Status_from_an_old_kernel_is_32_bytes_and_the_missing_fields_read_zero()
    {
        var full = new AuditStatus { Enabled = 1, Pid = 9, BacklogLimit = 320, Lost = 2, Backlog = 1, FeatureBitmap = 0x7f, BacklogWaitTime = 15000 }.ToBytes();
        var p = AuditStatus.Parse(full.AsSpan(0, 32));
        Assert.Equal(32, p.Length);
        Assert.Equal(320u, p.BacklogLimit);
        Assert.Equal(1u, p.Backlog);
        Assert.False(p.HasFeatureBitmap);
        Assert.False(p.HasBacklogWaitTime);
        Assert.Equal(0u, p.BacklogWaitTime);
        Assert.Throws<FormatException>(() => AuditStatus.Parse(full.AsSpan(0, 28)));
    }

    private static byte[] Datagram(uint nlmsgLen, ushort type, uint seq, byte[] payload)
    {
        var d = new byte[16 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(d, nlmsgLen);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(4), type);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(8), seq);
        payload.CopyTo(d, 16);
        return d;
    }

    [Fact]
    public void Record_payload_ignores_nlmsg_len_and_trims_trailing_nuls()
    {
        var text = "audit(1700000000.123:42): arch=c000003e syscall=59";
        var payload = Encoding.ASCII.GetBytes(text + "\0\0");
        // The kernel's unicast nlmsg_len excludes the header: it must not cut the record short.
        var msg = AuditNetlinkSocket.Parse(Datagram((uint)text.Length, 1300, 0, payload));
        Assert.Equal(1300, msg.Type);
        Assert.Equal(text, Encoding.ASCII.GetString(msg.Payload));
    }

    [Fact]
    public void Nlmsg_error_exposes_the_errno_and_zero_for_an_ack()
    {
        var nack = new byte[20];
        BinaryPrimitives.WriteInt32LittleEndian(nack, -17);
        var msg = AuditNetlinkSocket.Parse(Datagram(36, 2, 7, nack));
        Assert.Equal(17, msg.AckErrno);
        Assert.Equal(7u, msg.Sequence);
        Assert.Equal(0, AuditNetlinkSocket.Parse(Datagram(36, 2, 7, new byte[20])).AckErrno);
    }
}
