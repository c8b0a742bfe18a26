using Godo.Agent.Proc;
using Godo.Messages.Model;

namespace Godo.Agent.Tests.Proc;

public sealed class UserNamesTests : IDisposable
{
    private readonly string _passwd = Path.Combine(Path.GetTempPath(), $"godo-passwd-{Guid.NewGuid():N}");

    [Fact]
    public void Parse_takes_the_first_name_of_each_uid_and_skips_what_is_not_an_entry()
    {
        var names = UserNames.Parse(["root:x:0:0:root:/root:/bin/bash", "toor:x:0:0::/root:/bin/sh", "www-data:x:33:33::/var/www:/usr/sbin/nologin",
            "", "# comment:x:1:1", "broken", "nobody:x:notanumber:1::/:/bin/false"]);
        Assert.Equal(new Dictionary<int, string> { [0] = "root", [33] = "www-data" }, names);
    }

    [Fact]
    public void Names_come_from_the_file_and_follow_its_changes()
    {
        File.WriteAllLines(_passwd, ["root:x:0:0:root:/root:/bin/bash"]);
        var clock = new TestClock();
        var users = new UserNames(_passwd, clock);
        Assert.Equal("root", users.Of(0));
        Assert.Null(users.Of(1000));
        Assert.Null(users.Of(null));
        Assert.Equal("root", users.Name(new ProcessInfo { Pid = 1, Ppid = 0, Uid = 0 }).User);

        File.WriteAllLines(_passwd, ["root:x:0:0:root:/root:/bin/bash", "alice:x:1000:1000::/home/alice:/bin/bash"]);
        clock.Now += TimeSpan.FromSeconds(2);
        Assert.Equal("alice", users.Of(1000));
        File.Delete(_passwd);
        clock.Now += TimeSpan.FromSeconds(2);
        Assert.Null(users.Of(0));
    }

    public void Dispose() => File.Delete(_passwd);

    private sealed class TestClock : TimeProvider
    {
        public DateTimeOffset Now = DateTimeOffset.UtcNow;
        public override DateTimeOffset GetUtcNow() => Now;
    }
}
