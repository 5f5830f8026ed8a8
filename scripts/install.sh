#!/usr/bin/env bash
# Installs Vessel on a Debian 12 machine and starts vesseld with its embedded defaults:
# packages, build, /usr/local/bin/vessel and vesseld, the daemon (systemd unit where systemd runs,
# else a background daemon with a pid file), the default storage pool and the default network vsbr0
# (NAT, DHCP and DNS on a free 10.x.y.0/24, which instances join unless told otherwise), and the web UI with the
# HTTPS API on 127.0.0.1:8443 (core.https_address). Safe to run again: an
# unchanged checkout is not rebuilt and a running daemon is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
require_root
ensure_packages $RUNTIME_PACKAGES
require_dotnet

prefix=/usr/local/lib/vessel
stamp=$(source_stamp)
changed=no
if [ "$(cat "$prefix/.stamp" 2>/dev/null)" != "$stamp" ] || [ ! -x "$prefix/cli/vessel" ] || [ ! -x "$prefix/daemon/vesseld" ]; then
    echo "building Vessel"
    rm -rf "$prefix.new" && mkdir -p "$prefix.new"
    publish_binaries "$prefix.new"
    echo "$stamp" > "$prefix.new/.stamp"
    rm -rf "$prefix.old"
    [ -d "$prefix" ] && mv "$prefix" "$prefix.old"
    mv "$prefix.new" "$prefix"
    rm -rf "$prefix.old"
    changed=yes
fi
ln -sfn "$prefix/cli/vessel" /usr/local/bin/vessel
ln -sfn "$prefix/daemon/vesseld" /usr/local/bin/vesseld

mkdir -p /var/lib/vessel /var/log/vessel
if [ "$(cat /proc/1/comm)" = systemd ]; then
    unit=/etc/systemd/system/vesseld.service
    cat > "$unit.new" <<'UNIT'
[Unit]
Description=Vessel daemon (instances outlive it: stopping vesseld stops no VM or container)
After=network-online.target

[Service]
ExecStart=/usr/local/bin/vesseld
KillMode=process
Restart=on-failure
LimitNOFILE=1048576
LimitNPROC=infinity
TasksMax=infinity
Delegate=yes

[Install]
WantedBy=multi-user.target
UNIT
    if ! cmp -s "$unit.new" "$unit"; then mv "$unit.new" "$unit"; systemctl daemon-reload; changed=yes; else rm "$unit.new"; fi
    systemctl enable --quiet vesseld
    if [ "$changed" = yes ]; then systemctl restart vesseld; else systemctl start vesseld; fi
else
    pid=$(cat /run/vessel/vesseld.pid 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        if [ "$changed" = yes ]; then
            echo "restarting vesseld (pid $pid) on the new build; instances keep running"
            kill -TERM "$pid"
            for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            pid=
        fi
    else
        pid=
    fi
    if [ -z "$pid" ]; then
        setsid /usr/local/bin/vesseld >>/var/log/vessel/vesseld.log 2>&1 </dev/null &
    fi
fi

for _ in $(seq 150); do
    vessel version 2>/dev/null | grep -q "^Server version: [0-9]" && break
    sleep 0.2
done
vessel version | grep -q "^Server version: [0-9]" || die "vesseld did not come up; see /var/log/vessel/vesseld.log"
if ! vessel network show vsbr0 >/dev/null 2>&1; then
    vessel network create vsbr0 --description "The default network, made by install.sh"
fi
# The web UI and the HTTPS API: on loopback unless the administrator chooses otherwise (vessel server set).
if ! vessel server show | grep -q "core.https_address:"; then
    vessel server set core.https_address 127.0.0.1:8443 || echo "note: no HTTPS listener (127.0.0.1:8443 is taken); pick another with: vessel server set core.https_address 127.0.0.1:PORT"
fi
address=$(vessel server show | sed -n 's/^ *core.https_address: //p')
echo "Vessel is installed and vesseld is running. Try: vessel doctor, vessel image list"
[ -n "$address" ] && echo "Web UI: https://$address/ (self-signed certificate); log in with a token from: vessel auth token create"
vessel list
