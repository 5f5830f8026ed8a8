using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Vessel.Core.Model;

namespace Vessel.Core.Api;

/// <summary>Source-generated JSON for every type on the wire: snake_case, nulls left out, unknown fields refused.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(Instance))]
[JsonSerializable(typeof(List<Instance>))]
[JsonSerializable(typeof(Image))]
[JsonSerializable(typeof(List<Image>))]
[JsonSerializable(typeof(ImageAlias))]
[JsonSerializable(typeof(List<ImageAlias>))]
[JsonSerializable(typeof(StoragePool))]
[JsonSerializable(typeof(StoragePoolView))]
[JsonSerializable(typeof(List<StoragePoolView>))]
[JsonSerializable(typeof(Operation))]
[JsonSerializable(typeof(List<Operation>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(InstancesPost))]
[JsonSerializable(typeof(InstancePatch))]
[JsonSerializable(typeof(InstanceStatePut))]
[JsonSerializable(typeof(InstanceStateView))]
[JsonSerializable(typeof(ImageAliasPost))]
[JsonSerializable(typeof(ImageBuildPost))]
[JsonSerializable(typeof(ImagePublishPost))]
[JsonSerializable(typeof(ExecPost))]
[JsonSerializable(typeof(ExecControl))]
[JsonSerializable(typeof(StoragePoolPost))]
[JsonSerializable(typeof(StorageVolume))]
[JsonSerializable(typeof(StorageVolumeView))]
[JsonSerializable(typeof(List<StorageVolumeView>))]
[JsonSerializable(typeof(StorageVolumePost))]
[JsonSerializable(typeof(StorageVolumePatch))]
[JsonSerializable(typeof(StoragePoolPatch))]
[JsonSerializable(typeof(Network))]
[JsonSerializable(typeof(Snapshot))]
[JsonSerializable(typeof(BackupIndex))]
[JsonSerializable(typeof(List<Snapshot>))]
[JsonSerializable(typeof(SnapshotsPost))]
[JsonSerializable(typeof(List<NetworkForward>))]
[JsonSerializable(typeof(NetworkView))]
[JsonSerializable(typeof(List<NetworkView>))]
[JsonSerializable(typeof(NetworksPost))]
[JsonSerializable(typeof(NetworkPatch))]
[JsonSerializable(typeof(NetworkForwardPost))]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(ServerInfo))]
[JsonSerializable(typeof(ServerPatch))]
[JsonSerializable(typeof(List<InstanceWithState>))]
[JsonSerializable(typeof(ResourcesView))]
[JsonSerializable(typeof(AuthView))]
[JsonSerializable(typeof(LoginPost))]
[JsonSerializable(typeof(TokensPost))]
[JsonSerializable(typeof(TokenCreated))]
[JsonSerializable(typeof(List<TokenView>))]
[JsonSerializable(typeof(CertificatesPost))]
[JsonSerializable(typeof(CertificateView))]
[JsonSerializable(typeof(List<CertificateView>))]
[JsonSerializable(typeof(List<HostCheckView>))]
[JsonSerializable(typeof(Event))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, Dictionary<string, string>>))]
public sealed partial class VesselJson : JsonSerializerContext
{
    /// <summary>What the API and CLI speak: like Default, but writes quotes and non-ASCII text as they are.</summary>
    public static VesselJson Wire { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>For the store: the same encoding, without refusing fields an older schema did not know.</summary>
    public static VesselJson Lenient { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
