# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# shellcheck disable=SC2034  # globals are read by the scripts that source this
#
# tests/e2e/lib.sh - the shared harness of the end-to-end tests (and of
# deploy/demo.sh): source it. It loads, in this order:
#
#   lib/core.sh       reporting (PASS:/FAIL:/SKIP:), requirements, the temp
#                     dir, teardown on a trap
#   lib/wait.sh       processes (start in a netns, stop by PID) and every wait:
#                     a bounded poll on the awaited event that gives up early
#                     when the process it waits for has died
#   lib/topology.sh   namespaces, veths, addresses, routes, cgroups; the
#                     two-namespace pair and the routed client/gateway/server row
#   lib/servers.sh    nginx (TLS and plaintext), openssl s_server, any server
#                     waited for by its listeners
#   lib/clients.sh    clients run to their end with their PID recorded
#   lib/tlsaudit.sh   tlsaudit start/ready/stop/kill, a private bpffs mount
#                     namespace for it, its JSON output
#   lib/capture.sh    tcpdump captures
#   lib/residue.sh    BPF objects and attachments left behind
#
# Rules the library follows, and the scripts with it:
#   - processes are started with `nsenter --net=/run/netns/NS CMD` (never
#     `ip netns exec`, which remounts /sys and hides cgroup2/bpffs); nsenter
#     execs, so $! is the real PID of the program and its comm is the program's.
#   - processes are stopped by PID only; teardown also kills every PID still
#     listed by `ip netns pids` for our own namespaces, then deletes them, and
#     removes the cgroups it made. Tests touch only what they created.
#   - no sleep as synchronisation: every wait polls for its event (a line in a
#     file, a listener, a JSON event, a pid exiting) with a generous bound
#     ($TA_WAIT) and gives up at once when the process it waits for is gone.
#
# Knobs (environment):
#   TLSAUDIT=path          binary under test (default $REPO/build/tlsaudit)
#   TA_E2E_KEEP=1          keep the temp dir (logs, configs) after the run
#   TA_E2E_OFFLOAD=off     disable TSO/GSO on both veth ends (ethtool -K)
#   TA_E2E_VERBOSE=1       print progress lines (to stderr)
#   TA_WAIT=N              bound in seconds of every readiness wait (60)
#   TA_CLIENT_TIMEOUT=N    seconds a client may run before it is killed (60)

TA_E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=${REPO:-$(cd "$TA_E2E_DIR/../.." && pwd)}
TLSAUDIT=${TLSAUDIT:-$REPO/build/tlsaudit}

for _ta_lib in core wait topology servers clients tlsaudit capture residue; do
	# shellcheck source=/dev/null
	. "$TA_E2E_DIR/lib/$_ta_lib.sh"
done
unset _ta_lib
