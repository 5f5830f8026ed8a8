#!/usr/bin/env bash
# Network benchmarks, all inside network namespaces this script makes (vesseld runs in one; a second one,
# joined by a veth pair, stands for the world outside; no packet leaves them), anchors in the same run:
#   throughput: iperf3 (Debian's) container↔container on one Vessel network, and host↔container, against
#               iperf3 across a raw veth pair between two namespaces;
#   forward:    HTTP connections per second (ab, 8 at a time) from outside through a port forward to busybox
#               httpd in a container, against the same server reached directly from the host;
#   create:     `vessel network create` (bridge, address, nftables chains, dnsmasq) against the same steps
#               by hand with ip, nft and dnsmasq;
#   launch:     `vessel launch busybox` with a nic against one without.
# SECONDS_PER_RUN=N (default 5) per iperf3 run. Prints figures and ratios; asserts nothing.
. "$(dirname "$0")/common.sh"
ensure_packages iperf3 apache2-utils

seconds=${SECONDS_PER_RUN:-5}
snapshot_binaries
id=$$
inside=vb-in-$id outside=vb-out-$id va=vb-a-$id vbn=vb-b-$id
start_daemon
"$vessel" image build busybox >/dev/null
"$vessel" image build debian --include iperf3 >/dev/null
stop_daemon

for ns in $inside $outside $va $vbn; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
delete_networks() { "$vessel" network list --format csv 2>/dev/null | cut -d, -f1 | xargs -r -n1 "$vessel" network delete >/dev/null 2>&1 || true; }
cleanup_hooks+=(remove_all_instances delete_networks "for ns in $inside $outside $va $vbn; do ip netns del \$ns; done")
ip link add "up-$id" netns "$inside" type veth peer name "w-$id" netns "$outside"
ip -n "$inside" addr add 198.51.100.1/24 dev "up-$id" && ip -n "$inside" link set "up-$id" up
ip -n "$outside" addr add 198.51.100.2/24 dev "w-$id" && ip -n "$outside" link set "w-$id" up
ip link add "ra-$id" netns "$va" type veth peer name "rb-$id" netns "$vbn"
ip -n "$va" addr add 192.0.2.1/24 dev "ra-$id" && ip -n "$va" link set "ra-$id" up
ip -n "$vbn" addr add 192.0.2.2/24 dev "rb-$id" && ip -n "$vbn" link set "rb-$id" up
daemon_netns=$inside
start_daemon
in_ns() { ip netns exec "$inside" "$@"; }

# iperf3 CLIENT... : the receiver's rate in Gbit/s from a client run.
gbits() { "$@" -t "$seconds" -f g | awk '/receiver/ { print $(NF-2) }'; }

echo "== network creation (10 networks each)"
t0=${EPOCHREALTIME/./}
for i in $(seq 10); do "$vessel" network create "nb$i" "ipv4.address=10.92.$i.1/24" >/dev/null; done
vessel_create=$(( (${EPOCHREALTIME/./} - t0) / 100 ))
for i in $(seq 10); do "$vessel" network delete "nb$i"; done
t0=${EPOCHREALTIME/./}
for i in $(seq 10); do
    in_ns sh -c "ip link add hb$i type bridge && ip addr add 10.93.$i.1/24 dev hb$i && ip link set hb$i up && nft -f - <<NFT
add table inet hand
add chain inet hand in.hb$i { type filter hook input priority 0; policy accept; }
add chain inet hand fwd.hb$i { type filter hook forward priority 0; policy accept; }
add chain inet hand dnat.hb$i { type nat hook prerouting priority -100; policy accept; }
add chain inet hand localdnat.hb$i { type nat hook output priority -100; policy accept; }
add chain inet hand snat.hb$i { type nat hook postrouting priority 100; policy accept; }
add rule inet hand snat.hb$i ip saddr 10.93.$i.0/24 ip daddr != 10.93.$i.0/24 masquerade
NFT
dnsmasq --conf-file=/dev/null --no-hosts --bind-interfaces --except-interface=lo --interface=hb$i --listen-address=10.93.$i.1 --pid-file=$work/hb$i.pid --dhcp-leasefile=$work/hb$i.leases --dhcp-range=10.93.$i.128,10.93.$i.254,255.255.255.0,1h"
done
hand_create=$(( (${EPOCHREALTIME/./} - t0) / 100 ))
for i in $(seq 10); do kill "$(cat "$work/hb$i.pid")"; in_ns ip link del "hb$i"; done
in_ns nft delete table inet hand
printf 'vessel network create: %d.%02d ms each; by hand (ip, nft, dnsmasq): %d.%02d ms each; ratio %s\n' \
    $((vessel_create / 100)) $((vessel_create % 100)) $((hand_create / 100)) $((hand_create % 100)) \
    "$(awk -v a="$vessel_create" -v b="$hand_create" 'BEGIN { printf "%.2f", a / b }')"

"$vessel" network create vb ipv4.address=10.91.0.1/24 >/dev/null

echo "== container launch with and without a nic (10 each, busybox)"
with=$work/with without=$work/without
for i in $(seq 10); do
    t0=${EPOCHREALTIME/./}; "$vessel" launch busybox "n$i" --network vb >/dev/null; record_since "$with" "$t0"
    t0=${EPOCHREALTIME/./}; "$vessel" launch busybox "x$i" --network none >/dev/null; record_since "$without" "$t0"
done
echo "with a nic: $(percentiles "$with"); without: $(percentiles "$without")"
for i in $(seq 10); do "$vessel" delete --force "n$i" "x$i" >/dev/null; done

echo "== TCP throughput (iperf3, ${seconds} s per run)"
"$vessel" launch debian/12 s1 --network vb >/dev/null
"$vessel" launch debian/12 s2 --network vb >/dev/null
"$vessel" exec s1 -- iperf3 -s -D
in_ns true
ip netns exec "$va" iperf3 -s -D -B 192.0.2.1
sleep 1
c2c=$(gbits "$vessel" exec s2 -- iperf3 -c s1.vessel)
h2c=$(gbits in_ns iperf3 -c 10.91.0.2)
raw=$(gbits ip netns exec "$vbn" iperf3 -c 192.0.2.1)
echo "container->container: $c2c Gbit/s; host->container: $h2c Gbit/s; raw veth pair: $raw Gbit/s"
awk -v a="$c2c" -v b="$h2c" -v r="$raw" 'BEGIN { printf "ratio to raw veth: container->container %.2f, host->container %.2f\n", a / r, b / r }'

echo "== connections through a port forward (ab -n 5000 -c 8)"
"$vessel" launch busybox web --network vb >/dev/null
"$vessel" exec web -- sh -c 'mkdir -p /www && echo hello > /www/index.html && httpd -p 80 -h /www'
web=$("$vessel" network show vb | awk '/web\/eth0/ { print $3 }')
"$vessel" network forward add vb 198.51.100.1:8080 web:80
rate() { "$@" 2>/dev/null | awk '/Requests per second/ { print $4 }'; }
direct=$(rate in_ns ab -q -n 5000 -c 8 "http://$web:80/")
forwarded=$(rate ip netns exec "$outside" ab -q -n 5000 -c 8 "http://198.51.100.1:8080/")
echo "through the forward: $forwarded conn/s; direct from the host: $direct conn/s; ratio $(awk -v a="$forwarded" -v b="$direct" 'BEGIN { printf "%.2f", a / b }')"
