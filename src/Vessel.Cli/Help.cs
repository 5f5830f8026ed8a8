namespace Vessel.Cli;

internal static class Help
{
    public const string Text = """
        vessel — manage Vessel instances (containers and virtual machines)

        Instances:
          vessel launch IMAGE NAME [--vm] [-c key=value]... [--network NET|none] [--storage POOL] [--ephemeral] [--no-wait]
          vessel copy SRC[/SNAP] DST [--full] [-c key=value]... [--storage POOL]   (linked unless --full; new MACs; snapshots stay)
          vessel export NAME FILE [--instance-only] [--compression zstd|none]   (a stopped instance, its image and snapshots)
          vessel export NAME FILE --incremental     (a VM: only what its disk changed since the last export)
          vessel import FILE [NAME] [--storage POOL]   (an incremental file applies onto NAME, restored from the export before)
          vessel list [--format table|json|csv]
          vessel info NAME
          vessel console NAME [--show-log]          (Ctrl+a q detaches)
          vessel exec NAME [-t] [--env K=V]... [--cwd DIR] [--user UID] [--group GID] -- CMD...
          vessel file push LOCAL NAME/PATH [--mode MODE] [--uid UID] [--gid GID] | pull NAME/PATH LOCAL   ("-": stdin/stdout)
          vessel start|stop|restart|pause|resume NAME... [--force] [--timeout SECONDS] [--no-wait]
          vessel delete NAME... [--force] [--no-wait]
          vessel config show NAME | get NAME KEY | set NAME KEY=VALUE... | unset NAME KEY...
          vessel config device list NAME | add NAME DEVICE TYPE [KEY=VALUE]... | set NAME DEVICE KEY=VALUE... | remove NAME DEVICE
        Snapshots:
          vessel snapshot create NAME [SNAP] [--stateful] [--description TEXT] [--expiry 3d | --no-expiry]
                                            (SNAP defaults to snapshots.pattern: snap0, snap1, …; expiry units S M H d w m y)
          vessel snapshot list NAME [--format table|json|csv] | show NAME SNAP | restore NAME SNAP | delete NAME SNAP
        Images:
          vessel image list [--format table|json|csv]
          vessel image show IMAGE [--vm]
          vessel image import FILE [--alias ALIAS] [--vm] [--arch x86_64|aarch64] [--description TEXT]
          vessel image import --kernel FILE --initrd FILE [--disk QCOW2] [--cmdline TEXT] [--alias ALIAS] [--arch ...]   (a VM image)
          vessel image build busybox [--vm [--arch aarch64]] | debian [--vm] [--suite SUITE] [--include PKG,...]
          vessel image delete IMAGE [--vm]
          vessel publish NAME[/SNAP] [--alias ALIAS] [--description TEXT]   (a stopped instance or a snapshot, as an image)
          vessel image alias list | create ALIAS IMAGE [--vm] | delete ALIAS [--vm]
        Storage:
          vessel storage list [--format table|json|csv]
          vessel storage show POOL | create POOL [dir|btrfs] [source=PATH|/dev/X] [size=30GiB] | delete POOL
          vessel storage set POOL size=SIZE   (a btrfs pool on a loop file grows while in use)
          vessel storage volume list POOL | show POOL VOL | create POOL VOL [--type filesystem|block] [size=10GiB]
                                | set POOL VOL size=SIZE | delete POOL VOL
          vessel storage volume attach POOL VOL INSTANCE [DEVICE] [PATH] [--readonly] | detach POOL VOL INSTANCE [DEVICE]
                                (filesystem volumes mount in containers at PATH; block volumes are VM disks, /dev/disk/by-id/virtio-DEVICE)
        Networks:
          vessel network list [--format table|json|csv]
          vessel network show NET | create NET [KEY=VALUE]... | set NET KEY=VALUE... | unset NET KEY... | delete NET
          vessel network forward list NET | add NET ADDRESS:PORT INSTANCE:PORT [--protocol tcp|udp] | remove NET ADDRESS:PORT [--protocol tcp|udp]
          Keys: ipv4.address=auto|none|CIDR, ipv4.nat, ipv4.routing (false: host-only), security.isolated, ipv4.dhcp, dns.domain, bridge.mtu
          Instances without --network join vsbr0 when it exists (./scripts/install.sh makes it).
        Daemon:
          vessel operation list [--format table|json|csv] | show ID | wait ID | cancel ID
          vessel monitor [--type operation,lifecycle]
          vessel server show | set KEY VALUE | unset KEY     (core.https_address=ADDRESS:PORT: the API and web UI over HTTPS)
          vessel auth token create [--description TEXT] [--expiry 30d] | token list | token delete ID   (expiry as for snapshots)
          vessel auth certificate add NAME FILE.pem | certificate list | certificate delete FINGERPRINT
          vessel doctor
          vessel version

        The daemon is reached at $VESSEL_SOCKET, else $VESSEL_RUN_DIR/vessel.sock, else /run/vessel/vessel.sock.
        Exit codes: 0 success, 1 error, 2 usage.

        """;
}
