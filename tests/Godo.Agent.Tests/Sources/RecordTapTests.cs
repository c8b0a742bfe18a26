using System.Text;
using Godo.Agent.Audit;
using Godo.Agent.Sources;

namespace Godo.Agent.Tests.Sources;

public sealed class RecordTapTests
{
    [Fact]
    public void Netlink_payloads_are_written_as_a_raw_log_that_the_parser_reads_back()
    {
        var path = Path.Combine(Path.GetTempPath(), $"godo-tap-{Guid.NewGuid():N}.log");
        try
        {
            using (var tap = new RecordTap(path))
            {
                tap.Write(AuditRecordType.Syscall, Encoding.ASCII.GetBytes("audit(1700000000.123:42): arch=c000003e syscall=59 pid=7 key=\"godo\"\0\0\0"));
                tap.Write(AuditRecordType.Eoe, Encoding.ASCII.GetBytes("audit(1700000000.123:42): \n"));
                tap.Write(1999, Encoding.ASCII.GetBytes("audit(1700000000.200:43): op=x"));
                Assert.Equal(3, tap.Records);
            }
            var lines = File.ReadAllLines(path);
            Assert.Equal(
            [
                "type=SYSCALL msg=audit(1700000000.123:42): arch=c000003e syscall=59 pid=7 key=\"godo\"",
                "type=EOE msg=audit(1700000000.123:42): ",
                "type=UNKNOWN[1999] msg=audit(1700000000.200:43): op=x",
            ], lines);
            var types = lines.Select(l =>
            {
                Assert.Equal(MalformedReason.None, AuditLineParser.TryParseLine(Encoding.ASCII.GetBytes(l), out var r));
                return (r.Type, r.Serial);
            });
            Assert.Equal([(AuditRecordType.Syscall, 42L), (AuditRecordType.Eoe, 42L), (1999, 43L)], types);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
