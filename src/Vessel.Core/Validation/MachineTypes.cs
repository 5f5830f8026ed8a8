namespace Vessel.Core.Validation;

/// <summary>
/// vm.machine and vm.accel, named after QEMU's -machine and -accel: which machine types a guest architecture runs on
/// (the first is its default) and which accelerator an instance asks for (auto: KVM where it can, else TCG).
/// </summary>
public static class MachineTypes
{
    public const string MachineKey = "vm.machine";
    public const string AccelKey = "vm.accel";

    public const string Q35 = "q35";
    public const string Microvm = "microvm";
    public const string Virt = "virt";

    public static readonly IReadOnlyList<string> Machines = [Q35, Microvm, Virt];
    public static readonly IReadOnlyList<string> Accelerators = ["auto", "kvm", "tcg"];

    /// <summary>Only q35 has a graphical console (a VGA adapter shown over VNC).</summary>
    public static bool HasDisplay(string machine) => machine == Q35;

    /// <summary>The machine types of each guest architecture Vessel runs, the default first.</summary>
    private static readonly Dictionary<string, string[]> ByArchitecture = new(StringComparer.Ordinal)
    {
        ["x86_64"] = [Q35, Microvm],
        ["aarch64"] = [Virt],
    };

    /// <summary>The machine type of a VM of <paramref name="architecture"/>: vm.machine, or the architecture's default.</summary>
    /// <exception cref="BadRequestException">vm.machine names a machine type of another architecture, or no VM runs the architecture.</exception>
    public static string Resolve(string architecture, IReadOnlyDictionary<string, string> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!ByArchitecture.TryGetValue(architecture, out var allowed))
            throw new BadRequestException($"architecture: Vessel runs no {architecture} virtual machines (only {string.Join(", ", ByArchitecture.Keys)})");
        if (!config.TryGetValue(MachineKey, out var machine))
            return allowed[0];
        return allowed.Contains(machine)
            ? machine
            : throw new BadRequestException($"{MachineKey}: {machine} is no machine type for an {architecture} guest; {architecture} guests run on {string.Join(" or ", allowed)}");
    }

    /// <summary>Checks what vm.machine and vm.accel ask of a guest of <paramref name="architecture"/> on a host of <paramref name="hostArchitecture"/>.</summary>
    /// <exception cref="BadRequestException">
    /// The machine type is another architecture's, KVM is asked for a foreign guest, or a VNC address for a machine without a display.
    /// </exception>
    public static void Check(string architecture, string hostArchitecture, IReadOnlyDictionary<string, string> config)
    {
        var machine = Resolve(architecture, config);
        if (config.ContainsKey(VncDisplay.AddressKey) && !HasDisplay(machine))
            throw new BadRequestException($"{VncDisplay.AddressKey}: a {machine} machine has no graphical console (q35 has one)");
        if (config.GetValueOrDefault(AccelKey) == "kvm" && architecture != hostArchitecture)
            throw new BadRequestException($"{AccelKey}: KVM runs only {hostArchitecture} guests on this host; an {architecture} guest runs under tcg (or auto)");
    }
}
