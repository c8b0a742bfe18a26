using System.Text;
using Akka.Actor;
using Godo.Aggregator.Storage;
using Godo.Messages.Wire;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Godo.Aggregator.Tests.Storage;

public sealed class JournalSerializerTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly JournalSerializer _serializer;

    public JournalSerializerTests() => _serializer = new JournalSerializer((ExtendedActorSystem)Sys);

    [Fact]
    public void A_record_round_trips_under_its_manifest()
    {
        var tally = new Tally([1, 2, 3], 4);
        Assert.Equal("test-tally", _serializer.Manifest(tally));
        var back = (Tally)_serializer.FromBinary(_serializer.ToBinary(tally), "test-tally");
        Assert.Equal(tally.Values, back.Values);
        Assert.Equal(4, back.Deltas);
    }

    [Fact]
    public void An_older_record_without_a_new_nullable_field_reads_and_unknown_fields_are_ignored()
    {
        // Written before Counted had a Note; and by a newer version that added a field this one does not know.
        var old = (Counted)_serializer.FromBinary("{\"n\":7}"u8.ToArray(), "test-counted");
        Assert.Equal(new Counted(7, null), old);
        var newer = (Counted)_serializer.FromBinary("{\"n\":8,\"note\":\"x\",\"addedLater\":[1,2]}"u8.ToArray(), "test-counted");
        Assert.Equal(new Counted(8, "x"), newer);
        Assert.Equal("{\"n\":7}", Encoding.UTF8.GetString(_serializer.ToBinary(new Counted(7))));
    }

    [Fact]
    public void An_unknown_manifest_is_a_serialization_error()
    {
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => _serializer.FromBinary("{}"u8.ToArray(), "no-such-record"));
    }

    [Fact]
    public async Task The_persistence_setup_binds_records_to_it_and_wire_messages_stay_on_the_wire_serializer()
    {
        // A system configured as the aggregator configures it (Akka.Hosting's bindings, not this test kit's).
        var dir = Path.Combine(Path.GetTempPath(), "godo-serializer-" + Guid.NewGuid().ToString("N"));
        using var host = new HostBuilder()
            .ConfigureServices(s => s.AddAkka("journal-serializer-test", b => b.AddGodoWireSerializer().WithGodoPersistence(new StorageSettings { DataDir = dir })))
            .Build();
        await host.StartAsync();
        try
        {
            var serialization = host.Services.GetRequiredService<ActorSystem>().Serialization;
            Assert.IsType<JournalSerializer>(serialization.FindSerializerFor(new Counted(1)));
            Assert.IsType<GodoWireSerializer>(serialization.FindSerializerFor(TallyActor.SampleDelta(1)));
        }
        finally { await host.StopAsync(); }
    }
}
