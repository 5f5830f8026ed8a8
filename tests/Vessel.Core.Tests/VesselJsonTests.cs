using System.Text.Json;
using Vessel.Core.Api;
using Vessel.Core.Model;

namespace Vessel.Core.Tests;

public sealed class VesselJsonTests
{
    private static readonly DateTimeOffset Created = new(2025, 3, 4, 5, 6, 7, TimeSpan.Zero);

    private static Instance SampleInstance() => new()
    {
        Name = "web1",
        Type = InstanceType.VirtualMachine,
        Status = InstanceStatus.Running,
        StatusReason = "booting",
        Config = new Dictionary<string, string> { ["limits.cpu"] = "2", ["user.note"] = "say \"hi\" ✓" },
        Devices = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["root"] = new Dictionary<string, string> { ["type"] = "disk", ["path"] = "/", ["pool"] = "default" },
        },
        Image = "ab12",
        Pool = "default",
        Ephemeral = true,
        CreatedAt = Created,
        StatusChangedAt = Created.AddMinutes(1),
    };

    [Fact]
    public void Instance_IsWrittenInSnakeCase_WithTypeNames()
    {
        var json = JsonSerializer.Serialize(SampleInstance(), VesselJson.Wire.Instance);
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;

        Assert.Equal("virtual-machine", root.GetProperty("type").GetString());
        Assert.Equal("Running", root.GetProperty("status").GetString());
        Assert.Equal("booting", root.GetProperty("status_reason").GetString());
        Assert.True(root.GetProperty("ephemeral").GetBoolean());
        Assert.True(root.TryGetProperty("created_at", out _));
        Assert.True(root.TryGetProperty("status_changed_at", out _));
        Assert.Equal("2", root.GetProperty("config").GetProperty("limits.cpu").GetString());
        Assert.False(root.TryGetProperty("Name", out _));
        Assert.False(root.TryGetProperty("statusReason", out _));
    }

    [Fact]
    public void Wire_WritesQuotesAndNonAsciiAsTheyAre()
    {
        var json = JsonSerializer.Serialize(SampleInstance(), VesselJson.Wire.Instance);

        Assert.Contains("say \\\"hi\\\" ✓", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Wire_LeavesNullsOut()
    {
        var json = JsonSerializer.Serialize(SampleInstance() with { StatusReason = null, Image = null }, VesselJson.Wire.Instance);

        Assert.DoesNotContain("status_reason", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\"image\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Instance_RoundTrips()
    {
        var before = SampleInstance();

        var after = JsonSerializer.Deserialize(JsonSerializer.Serialize(before, VesselJson.Wire.Instance), VesselJson.Wire.Instance)!;

        Assert.Equal(before.Name, after.Name);
        Assert.Equal(before.Type, after.Type);
        Assert.Equal(before.Status, after.Status);
        Assert.Equal(before.StatusReason, after.StatusReason);
        Assert.Equal(before.Architecture, after.Architecture);
        Assert.Equal(before.Config, after.Config);
        Assert.Equal(before.Devices["root"], after.Devices["root"]);
        Assert.Single(after.Devices);
        Assert.Equal(before.Image, after.Image);
        Assert.Equal(before.Pool, after.Pool);
        Assert.Equal(before.Ephemeral, after.Ephemeral);
        Assert.Equal(before.CreatedAt, after.CreatedAt);
        Assert.Equal(before.StatusChangedAt, after.StatusChangedAt);
    }

    [Theory]
    [InlineData(InstanceType.Container, "\"container\"")]
    [InlineData(InstanceType.VirtualMachine, "\"virtual-machine\"")]
    public void InstanceType_UsesItsApiName(InstanceType type, string json)
    {
        var alias = new ImageAlias("debian/12", type, "ab12", "");

        var written = JsonSerializer.Serialize(alias, VesselJson.Wire.ImageAlias);

        Assert.Contains($"\"type\":{json}", written, StringComparison.Ordinal);
        Assert.Equal(alias, JsonSerializer.Deserialize(written, VesselJson.Wire.ImageAlias));
        Assert.Equal(type.Name(), json.Trim('"'));
    }

    [Fact]
    public void InstanceType_UnknownName_IsRefused() =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"name":"a","type":"vm","fingerprint":"f","description":""}""",
            VesselJson.Wire.ImageAlias));

    [Fact]
    public void Image_RoundTrips()
    {
        var before = new Image
        {
            Fingerprint = new string('a', 64),
            Type = InstanceType.Container,
            Architecture = "x86_64",
            Format = "tar.zst",
            Filename = "rootfs.tar.zst",
            Size = 1234,
            Description = "Debian 12",
            CreatedAt = Created,
            Aliases = ["debian", "debian/12"],
        };

        var json = JsonSerializer.Serialize(before, VesselJson.Wire.Image);
        var after = JsonSerializer.Deserialize(json, VesselJson.Wire.Image)!;

        Assert.Equal(before with { Aliases = after.Aliases }, after);
        Assert.Equal(before.Aliases, after.Aliases);
        Assert.Contains("\"created_at\":", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Operation_RoundTrips_WithoutIsFinal()
    {
        var before = new Operation
        {
            Id = "op1",
            Description = "Creating instance web1",
            Status = OperationStatus.Failure,
            Resources = ["/1.0/instances/web1"],
            Error = "boom",
            MayCancel = true,
            CreatedAt = Created,
            UpdatedAt = Created.AddSeconds(3),
        };

        var json = JsonSerializer.Serialize(before, VesselJson.Wire.Operation);
        var after = JsonSerializer.Deserialize(json, VesselJson.Wire.Operation)!;

        Assert.Equal(before with { Resources = after.Resources }, after);
        Assert.Equal(before.Resources, after.Resources);
        Assert.Contains("\"status\":\"Failure\"", json, StringComparison.Ordinal);
        Assert.Contains("\"may_cancel\":true", json, StringComparison.Ordinal);
        Assert.DoesNotContain("final", json, StringComparison.Ordinal);
    }

    [Fact]
    public void InstancesPost_ReadsSnakeCase_AndDefaultsToContainer()
    {
        var post = JsonSerializer.Deserialize("""
            {"name":"web1","source":{"alias":"debian/12"},"config":{"limits.cpu":"2"},
             "devices":{"root":{"type":"disk","path":"/","pool":"default"}},"ephemeral":true,"start":true}
            """, VesselJson.Wire.InstancesPost)!;

        Assert.Equal("web1", post.Name);
        Assert.Equal(InstanceType.Container, post.Type);
        Assert.Equal("debian/12", post.Source?.Alias);
        Assert.Equal("2", post.Config?["limits.cpu"]);
        Assert.Equal("/", post.Devices?["root"]["path"]);
        Assert.True(post.Ephemeral);
        Assert.True(post.Start);
    }

    [Fact]
    public void InstancePatch_KeepsNullToUnset()
    {
        var patch = JsonSerializer.Deserialize("""{"config":{"limits.cpu":null,"user.a":"b"}}""", VesselJson.Wire.InstancePatch)!;

        Assert.True(patch.Config!.ContainsKey("limits.cpu"));
        Assert.Null(patch.Config["limits.cpu"]);
        Assert.Equal("b", patch.Config["user.a"]);
    }

    [Fact]
    public void InstanceStatePut_WithoutTimeout_WaitsTheDefault30Seconds() =>
        Assert.Equal(30, JsonSerializer.Deserialize("""{"action":"stop"}""", VesselJson.Wire.InstanceStatePut)!.Timeout);

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(120)]
    public void InstanceStatePut_GivenTimeout_IsKept(int timeout)
    {
        var put = JsonSerializer.Deserialize($$"""{"action":"stop","force":true,"timeout":{{timeout}}}""", VesselJson.Wire.InstanceStatePut)!;

        Assert.Equal(new InstanceStatePut { Action = "stop", Force = true, Timeout = timeout }, put);
    }

    [Fact]
    public void Wire_RefusesAnUnknownField()
    {
        var e = Assert.Throws<JsonException>(() =>
            JsonSerializer.Deserialize("""{"action":"stop","forse":true}""", VesselJson.Wire.InstanceStatePut));

        Assert.Contains("forse", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Wire_RefusesAnUnknownFieldInANestedObject() =>
        Assert.Throws<JsonException>(() =>
            JsonSerializer.Deserialize("""{"name":"web1","source":{"alias":"debian","server":"x"}}""", VesselJson.Wire.InstancesPost));

    [Fact]
    public void Lenient_SkipsAnUnknownField()
    {
        const string json = """{"id":"op1","description":"d","status":"Running","added_later":{"x":[1,2]}}""";

        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize(json, VesselJson.Wire.Operation));
        var operation = JsonSerializer.Deserialize(json, VesselJson.Lenient.Operation)!;

        Assert.Equal("op1", operation.Id);
        Assert.Equal(OperationStatus.Running, operation.Status);
    }

    [Fact]
    public void Wire_RefusesAMissingRequiredField() =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("""{"description":"d"}""", VesselJson.Wire.Operation));

    [Fact]
    public void ErrorResponse_IsSnakeCase() =>
        Assert.Equal("""{"error":"not found","error_code":404}""",
            JsonSerializer.Serialize(new ErrorResponse("not found", 404), VesselJson.Wire.ErrorResponse));
}
