#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# tests/compat/run.sh - do the BPF programs load, and work, on the oldest
# kernel we promise: Debian 12's stock kernel (Linux 6.1, no tcx, no
# bpf_map_sum_elem_count)? Boots that kernel under KVM with the real build
# artifacts and runs, in the guest (tests/compat/guest.sh):
#   a. build/tests/packet/test_packet  every case must PASS
#   b. build/tests/packet/test_core    only the kernel's element count is
#                                      allowed to be missing (XFAIL)
#   c. a live `tlsaudit -i lo -d 3 -j` with a plaintext and a TLS
#      connection to 127.0.0.1:443, over clsact filters
#
# Usage (root, /dev/kvm):  tests/compat/run.sh      or  make compat
#   TA_COMPAT_KPKG=linux-image-6.1.0-NN-amd64-unsigned  a given kernel package
#                    (default: the newest linux-image-6.1.0-*-amd64-unsigned apt has)
#   TA_COMPAT_TIMEOUT=600   seconds the guest may run before it is killed
#   TA_COMPAT_NO_BUILD=1    use build/ as it is (no make)
#   TA_COMPAT_PATCH=FILE    test this tree with FILE applied (patch -p1), in a
#                    copy built under build/compat/src, e.g.
#                    TA_COMPAT_PATCH=fix.diff (a proposed change to bpf/ or include/)
#   TA_COMPAT_CONSOLE=1     print the guest's kernel console when it ends
#   TA_COMPAT_ACCEL=kvm|tcg  how qemu runs it (default: KVM, unless /dev/kvm
#                    cannot boot a stock kernel, then TCG; see below)
#
# Everything goes under build/compat/: the .deb and the extracted kernel and
# modules (cache/, kept between runs), the initramfs, the guest's console
# (console.log), its report (report.log) and each program's stderr (logs/).
# Prints the guest's PASS/FAIL/XFAIL lines as they come, the verifier log
# of any program that failed to load (head and tail; the whole log is in
# logs/), and ends with "N passed, N failed, N skipped". Exit status 1 on
# any FAIL or SKIP, or if the guest did not finish.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
OUT=$ROOT/build/compat
CACHE=$OUT/cache
TIMEOUT=${TA_COMPAT_TIMEOUT:-600}
T0=$(date +%s)

die() {
	echo "FAIL: compat: $*"
	echo "0 passed, 1 failed"
	exit 1
}
say() { echo "compat: $*"; }

[ "$(id -u)" = 0 ] || die "needs root (KVM, and the guest's image is built from root-owned files)"

# ---- host tools: qemu, a static busybox for the guest, cpio
missing=""
command -v qemu-system-x86_64 >/dev/null || missing="$missing qemu-system-x86"
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' ||
	missing="$missing busybox-static"
command -v cpio >/dev/null || missing="$missing cpio"
[ -z "${TA_COMPAT_PATCH:-}" ] || command -v patch >/dev/null || missing="$missing patch"
if [ -n "$missing" ]; then
	say "installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } >/dev/null ||
		die "apt-get install$missing failed"
fi

# ---- the real build artifacts: this tree's, or a patched copy's
SRC=$ROOT
if [ -n "${TA_COMPAT_PATCH:-}" ]; then
	patchfile=$(realpath "$TA_COMPAT_PATCH") || die "no patch $TA_COMPAT_PATCH"
	SRC=$OUT/src
	rm -rf "$SRC"
	mkdir -p "$SRC"
	# the tracked files as they are in the work tree, then the patch
	git ls-files -z | xargs -0 cp --parents -t "$SRC" 2>/dev/null ||
		die "cannot copy the tree to $SRC"
	(cd "$SRC" && patch -s -p1 <"$patchfile") || die "$TA_COMPAT_PATCH does not apply"
	say "testing this tree with $TA_COMPAT_PATCH applied, built in $SRC"
fi
if [ "${TA_COMPAT_NO_BUILD:-0}" != 1 ] || [ "$SRC" != "$ROOT" ]; then
	mkdir -p "$OUT"
	make -s --no-print-directory -C "$SRC" all >"$OUT/make.log" 2>&1 ||
		{ tail -n 30 "$OUT/make.log"; die "make failed (build/compat/make.log)"; }
fi
BINS="build/tlsaudit build/tests/packet/test_packet build/tests/packet/test_core"
for b in $BINS; do
	[ -x "$SRC/$b" ] || die "$SRC/$b not built (run make)"
done
mkdir -p "$OUT" "$CACHE"
gcc -static -O2 -Wall -Wextra -Werror tests/compat/peer.c -o "$OUT/ta-compat-peer" ||
	die "cannot build tests/compat/peer.c statically"

# ---- 1. the kernel package: Debian 12's stock amd64 kernel, the newest ABI apt offers
pick_kernel() {
	local p
	apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' 2>/dev/null |
		awk '{ print $1 }' | sort -V -r | while read -r p; do
		if apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
			echo "$p"
			break
		fi
	done
}
KPKG=${TA_COMPAT_KPKG:-$(pick_kernel)}
if [ -z "$KPKG" ]; then
	apt-get update -qq >/dev/null 2>&1
	KPKG=$(pick_kernel)
fi
[ -n "$KPKG" ] || die "apt has no linux-image-6.1.0-*-amd64-unsigned (is this Debian 12 with its sources?)"
KVERSION=$(apt-cache policy "$KPKG" | awk '/Candidate:/ { print $2 }')
KREL=${KPKG#linux-image-}
KREL=${KREL%-unsigned}
KDIR=$CACHE/$KREL-$KVERSION
if [ ! -f "$KDIR/.done" ]; then
	say "fetching $KPKG $KVERSION"
	rm -rf "$KDIR" "$CACHE/deb" "$CACHE/x"
	mkdir -p "$CACHE/deb" "$KDIR"
	(cd "$CACHE/deb" && apt-get download -q "$KPKG=$KVERSION" 2>&1 | grep -v '^W: Download is performed unsandboxed') ||
		die "apt-get download $KPKG=$KVERSION failed"
	deb=$(ls "$CACHE"/deb/*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || die "apt-get download $KPKG left no .deb"
	dpkg-deb -x "$deb" "$CACHE/x" || die "cannot extract $deb"
	cp "$CACHE/x/boot/vmlinuz-$KREL" "$KDIR/vmlinuz" &&
		cp "$CACHE/x/boot/config-$KREL" "$KDIR/config" || die "$deb has no vmlinuz or config"
	# only the modules the guest needs, with what they depend on
	mkdir -p "$KDIR/modules"
	(cd "$CACHE/x/lib/modules/$KREL" && find . -name '*.ko*' | sed 's|^\./||') >"$KDIR/all-modules"
	for f in modules.builtin modules.order; do
		cp "$CACHE/x/lib/modules/$KREL/$f" "$KDIR/modules/" 2>/dev/null
	done
	want=""
	# CONFIG option : module. =y needs nothing, =m the module, unset fails.
	for cm in INET_DIAG:inet_diag INET_TCP_DIAG:tcp_diag INET_UDP_DIAG:udp_diag \
		NET_SCH_INGRESS:sch_ingress NET_CLS_BPF:cls_bpf NET_ACT_BPF:act_bpf VETH:veth; do
		c=${cm%%:*} m=${cm#*:}
		case $(grep "^CONFIG_$c=" "$KDIR/config") in
		*=y) echo "$m (CONFIG_$c=y: built in)" >>"$KDIR/builtin" ;;
		*=m) want="$want $m" ;;
		*) die "$KREL lacks CONFIG_$c" ;;
		esac
	done
	: >"$KDIR/modules.list"
	add_module() { # NAME: its dependencies first, then itself, once
		local name=$1 path deps d
		grep -qx "[^ ]*/$name\.ko[.a-z]*" "$KDIR/modules.list" 2>/dev/null && return 0
		path=$(grep -m1 "/$name\.ko" "$KDIR/all-modules" ||
			grep -m1 "/${name//_/-}\.ko" "$KDIR/all-modules") || die "no module $name in $deb"
		deps=$(tr '\0' '\n' <"$CACHE/x/lib/modules/$KREL/$path" | sed -n 's/^depends=//p' | tr ',' ' ')
		for d in $deps; do add_module "$d"; done
		mkdir -p "$KDIR/modules/$(dirname "$path")"
		case $path in
		*.ko.xz) xz -dc "$CACHE/x/lib/modules/$KREL/$path" >"$KDIR/modules/${path%.xz}"; path=${path%.xz} ;;
		*.ko.zst) zstd -qdc "$CACHE/x/lib/modules/$KREL/$path" >"$KDIR/modules/${path%.zst}"; path=${path%.zst} ;;
		*) cp "$CACHE/x/lib/modules/$KREL/$path" "$KDIR/modules/$path" ;;
		esac
		echo "$path" >>"$KDIR/modules.list"
	}
	for m in $want; do add_module "$m"; done
	rm -rf "$CACHE/x" "$CACHE/deb"
	touch "$KDIR/.done"
fi
say "kernel $KPKG $KVERSION; modules: $(sed 's|.*/||' "$KDIR/modules.list" | tr '\n' ' ')"

# ---- 2. the initramfs: static busybox, the build, its shared libraries
R=$OUT/root
rm -rf "$R"
mkdir -p "$R"/{bin,usr/sbin,proc,sys,dev,tmp,run,ta/bin,ta/build/tests/packet,ta/tests/compat,ta/tests/fixtures}
cp /bin/busybox "$R/bin/busybox"
mknod -m 600 "$R/dev/console" c 5 1
cp tests/compat/init.sh "$R/init"
chmod 0755 "$R/init"
cp tests/compat/guest.sh "$R/ta/tests/compat/"
cp -r "$SRC/tests/fixtures/tls" "$R/ta/tests/fixtures/"
for b in $BINS; do cp "$SRC/$b" "$R/ta/$b"; done
cp "$OUT/ta-compat-peer" "$R/ta/bin/"
BPFTOOL=$(command -v bpftool || true)
[ -n "$BPFTOOL" ] && cp "$BPFTOOL" "$R/usr/sbin/bpftool"
{
	for b in $BINS; do echo "$SRC/$b"; done
	[ -n "$BPFTOOL" ] && echo "$BPFTOOL"
} | while read -r b; do
	ldd "$b" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }'
done | sort -u | while read -r lib; do
	mkdir -p "$R$(dirname "$lib")"
	cp -L "$lib" "$R$lib"
	# keep libbpf's full name too, so the guest can say which it is
	case $lib in */libbpf.so.1) cp -L "$lib" "$R$(dirname "$lib")/$(basename "$(readlink -f "$lib")")" ;; esac
done
mkdir -p "$R/lib/modules/$KREL"
cp -r "$KDIR/modules/." "$KDIR/modules.list" "$R/lib/modules/$KREL/"
(cd "$R" && find . | cpio -o -H newc --quiet) | gzip -1 >"$OUT/initramfs.cpio.gz" ||
	die "cannot build the initramfs"
say "initramfs $(du -h "$OUT/initramfs.cpio.gz" | cut -f1)"

# ---- 3. boot it; forward the report as it comes
# KVM where it can run a stock kernel. A PVM host (kvm_pvm: KVM without
# VMX/SVM, as on some cloud VMs) runs only kernels built as PVM guests: the
# stock kernel hangs there right after its real-mode setup, so TCG it is.
ACCEL=${TA_COMPAT_ACCEL:-auto}
if [ "$ACCEL" = auto ]; then
	if [ ! -c /dev/kvm ]; then
		say "no /dev/kvm: using TCG"
		ACCEL=tcg
	elif [ -d /sys/module/kvm_pvm ]; then
		say "this host's /dev/kvm is PVM (kvm_pvm), which cannot boot a stock kernel: using TCG"
		ACCEL=tcg
	else
		ACCEL=kvm
	fi
fi
rm -rf "$OUT/logs"
mkdir -p "$OUT/logs"
boot() { # ACCEL: runs the guest in the background, sets QPID
	local a
	case $1 in
	kvm) a="-enable-kvm -cpu host" ;;
	*) a="-accel tcg -cpu max" ;;
	esac
	: >"$OUT/report.log"
	: >"$OUT/console.log"
	say "booting Linux $KREL with $1 (timeout ${TIMEOUT}s)"
	# shellcheck disable=SC2086
	timeout -k 5 "$TIMEOUT" qemu-system-x86_64 $a -smp 2 -m 1G \
		-nographic -monitor none -no-reboot -nic none \
		-kernel "$KDIR/vmlinuz" -initrd "$OUT/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 ${TA_COMPAT_APPEND:-quiet loglevel=4}" \
		-serial "file:$OUT/console.log" -serial "file:$OUT/report.log" \
		</dev/null >"$OUT/qemu.log" 2>&1 &
	QPID=$!
}
B0=$(date +%s)
boot "$ACCEL"
if [ "$ACCEL" = kvm ]; then
	# a KVM that cannot run this kernel shows nothing at all: give it a minute
	i=0
	while kill -0 $QPID 2>/dev/null && ! grep -q 'compat-init:' "$OUT/console.log" && [ $i -lt 60 ]; do
		sleep 1
		i=$((i + 1))
	done
	if kill -0 $QPID 2>/dev/null && ! grep -q 'compat-init:' "$OUT/console.log"; then
		say "no sign of the guest's init after 60 s under KVM: retrying with TCG"
		kill $QPID 2>/dev/null
		wait $QPID 2>/dev/null
		ACCEL=tcg
		B0=$(date +%s)
		boot tcg
	fi
fi
# the report's lines, less the files between their markers, and no more
# than 5 "also:" lines under one FAIL (a test that goes on after a failed
# load repeats itself thousands of times; report.txt has them all)
tail -n +1 -F --pid=$QPID "$OUT/report.log" 2>/dev/null | tr -d '\r' |
	awk '/^=== BEGIN FILE / { skip = 1; next } /^=== END FILE / { skip = 0; next }
	     skip { next }
	     /^      also:/ { if (++also <= 5) print; fflush(); next }
	     { if (also > 5) print "      [... " also - 5 " more also: lines]"; also = 0; print; fflush() }'
wait $QPID
QRC=$?
B1=$(date +%s)
say "guest ran $((B1 - B0)) s under $ACCEL (qemu exit status $QRC)"

# ---- the guest's files, for the logs and the verifier's word
tr -d '\r' <"$OUT/report.log" >"$OUT/report.txt"
awk -v dir="$OUT/logs" '/^=== BEGIN FILE / { f = dir "/" $4; printf "" >f; next }
	/^=== END FILE / { close(f); f = ""; next }
	f != "" { print >>f }' "$OUT/report.txt"

# ---- 4. the verifier log of every program that failed to load, once each
shown=" "
for f in "$OUT"/logs/*.err; do
	[ -f "$f" ] || continue
	grep -q -- '-- BEGIN PROG LOAD LOG --' "$f" || continue
	while IFS=: read -r n _; do
		# the libbpf line naming the program is just before the log
		prog=$(sed -n "$((n - 1))p" "$f" | sed -n "s/.*prog '\([^']*\)'.*/\1/p")
		case "$shown" in *" $prog "*) continue ;; esac
		shown="$shown$prog "
		end=$(awk -v s="$n" 'NR > s && /-- END PROG LOAD LOG --/ { print NR; exit }' "$f")
		[ -n "$end" ] || end=$(wc -l <"$f")
		echo
		echo "---- verifier log of '$prog' ($(basename "$f"), lines $n-$end; whole log in $f)"
		sed -n "$((n - 1))p" "$f"
		if [ $((end - n)) -le 60 ]; then
			sed -n "$((n + 1)),$((end - 1))p" "$f"
		else
			sed -n "$((n + 1)),$((n + 25))p" "$f"
			echo "   [... $((end - n - 56)) lines ...]"
			sed -n "$((end - 30)),$((end - 1))p" "$f"
		fi
		sed -n "$((end + 1)),$((end + 3))p" "$f" | grep '^libbpf:'
	done < <(grep -n -- '-- BEGIN PROG LOAD LOG --' "$f")
done

# ---- the summary
passed=$(grep -c '^PASS:' "$OUT/report.txt")
failed=$(grep -c '^FAIL:' "$OUT/report.txt")
skipped=$(grep -c '^SKIP:' "$OUT/report.txt")
xfailed=$(grep -c '^XFAIL:' "$OUT/report.txt")
echo
if ! grep -q '^=== COMPAT END' "$OUT/report.txt"; then
	if [ "$QRC" = 124 ] || [ "$QRC" = 137 ]; then
		echo "FAIL: compat: the guest did not finish within ${TIMEOUT}s"
	else
		echo "FAIL: compat: the guest stopped before its report ended (qemu status $QRC)"
	fi
	echo "---- last lines of the guest console ($OUT/console.log)"
	tail -n 40 "$OUT/console.log" | tr -d '\r'
	failed=$((failed + 1))
elif [ "${TA_COMPAT_CONSOLE:-0}" = 1 ]; then
	echo "---- guest console ($OUT/console.log)"
	tr -d '\r' <"$OUT/console.log"
fi
if [ "$skipped" -gt 0 ]; then
	echo "compat: $skipped SKIP(s) count as failures: the guest runs as root and must run everything"
	failed=$((failed + skipped))
fi
kver=$(sed -n 's/^INFO: compat: kernel //p' "$OUT/report.txt" | head -n 1)
say "Linux ${kver:-?} ($KPKG $KVERSION): $xfailed expected failure(s) (XFAIL, listed above), whole run $(($(date +%s) - T0)) s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
