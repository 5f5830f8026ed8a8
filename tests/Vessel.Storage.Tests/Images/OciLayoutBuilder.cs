using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Vessel.Storage.Tests.Images;

/// <summary>Writes an OCI image layout directory: blobs under blobs/sha256, index.json and oci-layout.</summary>
internal sealed class OciLayoutBuilder
{
    public const string LayerTar = "application/vnd.oci.image.layer.v1.tar";
    public const string LayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    public const string LayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
    public const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    public const string IndexType = "application/vnd.oci.image.index.v1+json";

    public OciLayoutBuilder(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "blobs", "sha256"));
        File.WriteAllText(Path.Combine(directory, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
    }

    public string Directory { get; }

    public string BlobPath(JsonObject descriptor) =>
        Path.Combine(Directory, "blobs", "sha256", ((string)descriptor["digest"]!)["sha256:".Length..]);

    public JsonObject Blob(string mediaType, byte[] content)
    {
        var hex = Convert.ToHexStringLower(SHA256.HashData(content));
        File.WriteAllBytes(Path.Combine(Directory, "blobs", "sha256", hex), content);
        return new JsonObject { ["mediaType"] = mediaType, ["digest"] = "sha256:" + hex, ["size"] = content.Length };
    }

    /// <summary>A layer blob: the tar compressed as the media type says.</summary>
    public JsonObject Layer(byte[] tar, string mediaType = LayerGzip) => Blob(mediaType, RootfsExtractorFormatTests.Compress(tar, mediaType switch
    {
        LayerGzip => "tar.gz",
        LayerZstd => "tar.zst",
        _ => "tar",
    }));

    public JsonObject Manifest(params JsonObject[] layers)
    {
        var config = Blob("application/vnd.oci.image.config.v1+json", """{"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}}"""u8.ToArray());
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestType,
            ["config"] = config,
            ["layers"] = new JsonArray(layers.Select(l => (JsonNode)l.DeepClone()).ToArray()),
        };
        return Blob(ManifestType, Encoding.UTF8.GetBytes(manifest.ToJsonString()));
    }

    public static JsonObject WithPlatform(JsonObject descriptor, string architecture, string os = "linux")
    {
        var copy = (JsonObject)descriptor.DeepClone();
        copy["platform"] = new JsonObject { ["architecture"] = architecture, ["os"] = os };
        return copy;
    }

    public static byte[] IndexJson(params JsonObject[] manifests) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["schemaVersion"] = 2,
        ["mediaType"] = IndexType,
        ["manifests"] = new JsonArray(manifests.Select(m => (JsonNode)m.DeepClone()).ToArray()),
    }.ToJsonString());

    public OciLayoutBuilder Index(params JsonObject[] manifests)
    {
        File.WriteAllBytes(Path.Combine(Directory, "index.json"), IndexJson(manifests));
        return this;
    }

    /// <summary>The layout as a tar of its directory, the way skopeo copy oci-archive: writes it.</summary>
    public byte[] ToTar()
    {
        using var output = new MemoryStream();
        System.Formats.Tar.TarFile.CreateFromDirectory(Directory, output, includeBaseDirectory: false);
        return output.ToArray();
    }
}
