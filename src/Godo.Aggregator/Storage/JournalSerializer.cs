using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;

namespace Godo.Aggregator.Storage;

/// <summary>
/// Marker of what an entity persists (events, snapshot states) that is not already a wire message: bound to
/// <see cref="JournalSerializer"/>. Each such type names its stable manifest with <see cref="PersistedAsAttribute"/>.
/// (Wire messages, e.g. HostSnapshot and HostDelta, may be persisted as they are: they keep the wire serializer.)
/// </summary>
public interface IPersistedRecord;

/// <summary>The manifest a persisted type is stored under: part of the store's format, never reused or renamed.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class PersistedAsAttribute(string manifest) : Attribute
{
    public string Manifest { get; } = manifest;
}

/// <summary>
/// JSON for what the journal and the snapshot store keep: camelCase, nulls omitted, unknown members ignored and
/// missing ones defaulted, so a record written by version N reads in N+1 after it gains nullable fields (and the
/// other way round). Types are found by their <see cref="PersistedAsAttribute"/> manifest, never by a CLR type name
/// that a refactoring would change under years of stored events.
/// </summary>
public sealed class JournalSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>Fixed for ever: stored rows name their serializer by this number.</summary>
    public const int SerializerId = 4712;
    public const string ConfigName = "godo-journal";

    public override int Identifier => SerializerId;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private static readonly ConcurrentDictionary<Type, string> ManifestOf = new();
    private static volatile IReadOnlyDictionary<string, Type> _types = Scan();

    public override string Manifest(object o) => ManifestFor(o.GetType());

    public override byte[] ToBinary(object obj)
    {
        ManifestFor(obj.GetType());
        return JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Json);
    }

    public override object FromBinary(byte[] bytes, string manifest) =>
        JsonSerializer.Deserialize(bytes, TypeFor(manifest), Json) ?? throw new SerializationException($"empty '{manifest}' record");

    /// <summary>The manifest of <paramref name="type"/>; a persisted type without one is a programming error.</summary>
    public static string ManifestFor(Type type) => ManifestOf.GetOrAdd(type, t =>
        t.GetCustomAttribute<PersistedAsAttribute>()?.Manifest
        ?? throw new ArgumentException($"{t} is persisted but has no [PersistedAs(\"manifest\")]"));

    /// <summary>The type stored under <paramref name="manifest"/>, looking again at the assemblies loaded since the last look.</summary>
    public static Type TypeFor(string manifest)
    {
        if (_types.TryGetValue(manifest, out var type)) return type;
        _types = Scan();
        return _types.TryGetValue(manifest, out type) ? type
            : throw new SerializationException($"unknown journal manifest '{manifest}' (written by a newer godo?)");
    }

    // godo's own assemblies only: persisted types live there, and other assemblies may not load all their types.
    private static Dictionary<string, Type> Scan()
    {
        var found = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (assembly.IsDynamic || assembly.GetName().Name?.StartsWith("Godo", StringComparison.Ordinal) != true) continue;
            foreach (var t in Loadable(assembly))
            {
                if (!typeof(IPersistedRecord).IsAssignableFrom(t) || t.GetCustomAttribute<PersistedAsAttribute>() is not { } a) continue;
                if (found.TryGetValue(a.Manifest, out var other) && other != t)
                    throw new InvalidOperationException($"journal manifest '{a.Manifest}' is claimed by both {other} and {t}");
                found[a.Manifest] = t;
            }
        }
        return found;
    }

    private static IEnumerable<Type> Loadable(Assembly assembly)
    {
        try { return assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { return e.Types.OfType<Type>(); }
    }
}
