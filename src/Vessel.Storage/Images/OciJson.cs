using System.Text.Json.Serialization;

namespace Vessel.Storage.Images;

/// <summary>Source-generated JSON for the OCI documents (no reflection).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(OciIndex))]
[JsonSerializable(typeof(OciManifest))]
internal sealed partial class OciJson : JsonSerializerContext;
