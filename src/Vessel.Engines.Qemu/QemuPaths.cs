namespace Vessel.Engines.Qemu;

/// <summary>What a VM keeps in its run directory (/run/vessel/instances/NAME/) and its log directory.</summary>
public sealed record QemuPaths(string RunDirectory, string ConsoleLog)
{
    public string Qmp => Path.Combine(RunDirectory, "qmp.sock");
    public string GuestAgent => Path.Combine(RunDirectory, "qga.sock");
    public string Console => Path.Combine(RunDirectory, "console.sock");
    public string Vnc => Path.Combine(RunDirectory, "vnc.sock");
    public string PidFile => Path.Combine(RunDirectory, "qemu.pid");
    /// <summary>What QEMU printed before it daemonized (its start errors).</summary>
    public string StartLog => Path.Combine(RunDirectory, "qemu.log");
    /// <summary>The running QEMU's pid, start time and boot memory (<see cref="QemuState"/>).</summary>
    public string StateFile => Path.Combine(RunDirectory, "qemu.json");
    /// <summary>The cloud-init NoCloud seed (<see cref="NoCloudSeed"/>).</summary>
    public string Seed => Path.Combine(RunDirectory, "seed.iso");
    /// <summary>QEMU's CPU mask while a save or load holds its threads on one CPU (see QemuDriver.OnOneCpuAsync).</summary>
    public string ConfinedCpus => Path.Combine(RunDirectory, "cpus.confined");

    /// <summary>Everything QEMU or the driver made in the run directory, for cleanup.</summary>
    public IEnumerable<string> RunFiles => [Qmp, GuestAgent, Console, Vnc, PidFile, StartLog, StateFile, Seed, ConfinedCpus];
}
