using System.Text.Json.Serialization;
using Godo.Messages.Model;

namespace Godo.Cli.Output;

/// <summary>
/// The replay's tree document, written by generated code only: the same options as <see cref="GodoJsonContext"/>
/// (indented), so the same bytes, but without the metadata a reader needs. Building that metadata compiled about 190
/// generic methods of System.Text.Json at every replay's start-up.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    WriteIndented = true,
    GenerationMode = JsonSourceGenerationMode.Serialization)]
[JsonSerializable(typeof(HostTree))]
internal sealed partial class ReplayJsonContext : JsonSerializerContext;
