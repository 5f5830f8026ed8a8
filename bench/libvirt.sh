# libvirt as an anchor for the VM benchmark (sourced after common.sh). This machine does not run systemd as PID 1, so
# the benchmark starts libvirtd and virtlogd itself, in a network namespace of their own (nothing libvirt does to
# networks reaches the host), and at the end removes its domains and stops both, leaving nothing running. Domains are
# written from the QEMU argument list Vessel used: the same memory, vCPUs, kernel, command line, disk and devices.
# libvirtd runs under tini as a subreaper: its QEMUs are daemonized, so they end up as children of whoever reaps
# orphans, and libvirt waits for a killed QEMU until it is reaped. PID 1 here reaps late, which alone added 1.2-1.8 s
# to every libvirt stop and snapshot revert.
# shellcheck shell=bash
ensure_packages libvirt-daemon-system libvirt-clients tini qemu-utils jq

libvirt_netns=vessel-bench-libvirt
# Kernels, disks, consoles and sockets of the domains: QEMU runs as libvirt-qemu under libvirt.
libvirt_dir=$work/libvirt
libvirt_made_run_dir=
libvirt_pid=

libvirt_uri=qemu:///system
lv() { virsh -q -c "$libvirt_uri" "$@"; }

libvirt_start() {
    if [ -f /run/libvirtd.pid ] && kill -0 "$(cat /run/libvirtd.pid)" 2>/dev/null; then
        die "libvirtd already runs here; this benchmark starts and stops a libvirtd of its own"
    fi
    [ -d /run/libvirt ] || libvirt_made_run_dir=1
    ip netns add "$libvirt_netns"
    cleanup_hooks+=(libvirt_stop)
    ip netns exec "$libvirt_netns" virtlogd -d
    ip netns exec "$libvirt_netns" tini -s -- libvirtd >>"$work/libvirtd.log" 2>&1 &
    libvirt_pid=$!
    for _ in $(seq 200); do lv version >/dev/null 2>&1 && break; sleep 0.05; done
    lv version >/dev/null
    install -d -o libvirt-qemu -g libvirt-qemu "$libvirt_dir"
}

libvirt_stop() {
    local domain pid
    for domain in $(lv list --all --name 2>/dev/null | grep '^vessel-bench-'); do
        lv destroy "$domain" >/dev/null 2>&1 || true
        lv undefine "$domain" --snapshots-metadata >/dev/null 2>&1 || true
    done
    rm -f /var/log/libvirt/qemu/vessel-bench-*.log
    if [ -n "$libvirt_pid" ]; then
        kill "$libvirt_pid" 2>/dev/null || true # tini passes it on to libvirtd
        wait "$libvirt_pid" 2>/dev/null || true
    fi
    if [ -f /run/virtlogd.pid ]; then
        pid=$(cat /run/virtlogd.pid)
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do exited "$pid" && break; sleep 0.05; done
    fi
    ip netns del "$libvirt_netns" 2>/dev/null || true
    [ -z "$libvirt_made_run_dir" ] || rm -rf /run/libvirt
}

# arg_after OPTION ARGS_FILE: the argument after the first OPTION in an argument list of one argument a line.
arg_after() { awk -v o="$1" 'p == o { print; exit } { p = $0 }' "$2"; }

# libvirt_disk NAME QCOW2: a new qcow2 overlay for the domain over a copy of what QCOW2 is an overlay of (Vessel's
# image directory is not for libvirt-qemu to read); prints its path.
libvirt_disk() {
    local info backing
    info=$(qemu-img info --output=json "$2")
    backing=$libvirt_dir/$1.base
    cp --sparse=always "$(jq -r '."full-backing-filename"' <<<"$info")" "$backing"
    qemu-img create -q -f qcow2 -b "$backing" -F "$(jq -r '."backing-filename-format"' <<<"$info")" "$libvirt_dir/$1.qcow2"
    chown libvirt-qemu:libvirt-qemu "$backing" "$libvirt_dir/$1.qcow2"
    echo "$libvirt_dir/$1.qcow2"
}

# libvirt_domain NAME ARGS_FILE [DISK]: the domain XML of Vessel's QEMU arguments, with DISK (qcow2) as its root disk.
# Its devices sit on the root bus, as Vessel's do; libvirt adds an audio backend of type none for VNC and its seccomp sandbox.
libvirt_domain() {
    local name=$1 args=$2 disk=${3:-} smp memory kernel initrd
    memory=$(arg_after -m "$args"); memory=${memory%M}
    smp=$(arg_after -smp "$args")
    kernel=$libvirt_dir/$name.vmlinuz initrd=$libvirt_dir/$name.initrd
    install -o libvirt-qemu -g libvirt-qemu -m 0644 "$(arg_after -kernel "$args")" "$kernel"
    install -o libvirt-qemu -g libvirt-qemu -m 0644 "$(arg_after -initrd "$args")" "$initrd"
    cat <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>$memory</memory>
  <vcpu current='${smp%%,*}'>$(sed -n 's/.*maxcpus=\([0-9]*\).*/\1/p' <<<"$smp")</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$kernel</kernel>
    <initrd>$initrd</initrd>
    <cmdline>$(arg_after -append "$args")</cmdline>
  </os>
  <features><acpi/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='usb' model='none'/>
    $(for _ in $(seq 8); do echo "<controller type='pci' model='pcie-root-port'/>"; done)
    <serial type='file'><source path='$libvirt_dir/$name.console'/></serial>
    <video><model type='vga'/><address type='pci' bus='0' slot='1'/></video>
    <graphics type='vnc' socket='$libvirt_dir/$name.vnc'/>
    <rng model='virtio'><backend model='random'>/dev/urandom</backend><address type='pci' bus='0' slot='2'/></rng>
    <memballoon model='virtio'><address type='pci' bus='0' slot='3'/></memballoon>
    <controller type='virtio-serial' index='0'><address type='pci' bus='0' slot='4'/></controller>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    $([ -z "$disk" ] || echo "<disk type='file' device='disk'><driver name='qemu' type='qcow2' discard='unmap'/><source file='$disk'/><target dev='vda' bus='virtio'/><address type='pci' bus='0' slot='5'/></disk>")
  </devices>
</domain>
EOF
}

# libvirt_shutdown NAME: presses the domain's ACPI power button (again every 3 s, as vessel stop does) and prints the
# milliseconds until libvirt saw it stop.
libvirt_shutdown() {
    local line t0 stopped=
    coproc LV_EVENTS { exec virsh -q -c "$libvirt_uri" event --domain "$1" --event lifecycle --loop; }
    sleep 0.2 # until virsh listens for events
    t0=${EPOCHREALTIME/./}
    until [ -n "$stopped" ]; do
        lv shutdown "$1" --mode acpi >/dev/null
        while read -r -t 3 line <&"${LV_EVENTS[0]}"; do case "$line" in *Stopped*) stopped=1; break ;; esac; done
    done
    ms_since "$t0"
    kill "$LV_EVENTS_PID" 2>/dev/null || true
    wait "$LV_EVENTS_PID" 2>/dev/null || true
}
