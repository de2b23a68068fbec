#!/bin/busybox sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tests/compat/init.sh - /init of the compat guest (see run.sh): the file
# systems tlsaudit expects, the kernel modules the tests need (the stock
# kernel builds sch_ingress, cls_bpf, veth and the socket-diag modules as
# modules, and there is no modprobe here to load them on demand), then
# guest.sh with its report on the second serial port, then power off.
/bin/busybox mkdir -p /bin /proc /sys /dev /tmp /run
/bin/busybox --install -s /bin
echo "compat-init: booted $(uname -r)"
export PATH=/bin:/usr/sbin LD_LIBRARY_PATH=/lib/x86_64-linux-gnu HOME=/ TERM=dumb

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t bpf bpf /sys/fs/bpf
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug

# modules.list: paths under /lib/modules/KVER, dependencies first
kmods=/lib/modules/$(uname -r)
while read -r m; do
	[ -n "$m" ] || continue
	insmod "$kmods/$m" || echo "compat-init: insmod $m failed"
done <"$kmods/modules.list"
ip link set lo up

# the report goes to ttyS1 (a file on the host), the kernel's messages to ttyS0
report=/dev/ttyS1
[ -c "$report" ] || report=/dev/console
stty -F "$report" raw -echo 2>/dev/null
echo "compat-init: running guest.sh, report on $report"
sh /ta/tests/compat/guest.sh >"$report" 2>&1
echo "compat-init: guest.sh exited $?"
sync
# poweroff -f does not wait for the serial port's FIFO to drain; a report cut
# short loses its "=== COMPAT END" line, which run.sh takes as a failure, so
# this pause only spares a needless one
sleep 1
poweroff -f
