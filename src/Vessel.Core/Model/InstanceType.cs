using System.Text.Json.Serialization;

namespace Vessel.Core.Model;

[JsonConverter(typeof(JsonStringEnumConverter<InstanceType>))]
public enum InstanceType
{
    [JsonStringEnumMemberName("container")] Container,
    [JsonStringEnumMemberName("virtual-machine")] VirtualMachine,
}

public static class InstanceTypes
{
    public static string Name(this InstanceType type) => type switch
    {
        InstanceType.Container => "container",
        InstanceType.VirtualMachine => "virtual-machine",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static InstanceType Parse(string value) => value switch
    {
        "container" => InstanceType.Container,
        "virtual-machine" or "vm" => InstanceType.VirtualMachine,
        _ => throw new BadRequestException($"type: \"{value}\" is not an instance type (use container or virtual-machine)"),
    };
}
