#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Nested test of exitscope-agent and exitscope-probe. L1 is Debian's 6.1 kernel under QEMU TCG with
# emulated SVM, from a busybox initramfs, with the kvm modules built from kernel-patch/ (patched, or
# stock for the negative test); it runs exitscope-probe, then QEMU/KVM with an L2 guest (the same kernel,
# a busybox initramfs with exitscope-agent) whose agent port it drives with portclient. The streams come
# back on a disk image and are judged here with exitscope-streamcheck (the core's parser).
#
# usage: agent-nested.sh patched|stock WORKDIR AGENT PROBE PORTCLIENT REFERENCE STREAMCHECK
# Environment: EXITSCOPE_CACHE (kernel packages and module builds, default ~/.cache/exitscope),
#   EXITSCOPE_NESTED_SECONDS (length of each measured run, default 12),
#   EXITSCOPE_NESTED_TIMEOUT (seconds for the whole L1 run, default 1500).
set -uo pipefail

kind=$1 work=$2 agent=$3 probe=$4 portclient=$5 reference=$6 check=$7
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src_root=$(cd "$here/../../.." && pwd)
seconds=${EXITSCOPE_NESTED_SECONDS:-12}
timeout=${EXITSCOPE_NESTED_TIMEOUT:-1500}
failures=0

fail() { printf 'FAIL: %s\n' "$*" >&2; failures=$((failures + 1)); }
fatal() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
log() { printf 'agent-nested: %s\n' "$*" >&2; }

[[ $kind == patched || $kind == stock ]] || fatal "first argument must be patched or stock"
for tool in qemu-system-x86_64 busybox cpio depmod ldd tar socat objdump; do
    command -v "$tool" >/dev/null || fatal "'$tool' not found: the nested test needs qemu-system-x86, busybox-static, cpio, kmod, socat, binutils (apt-get install them)"
done
for f in "$agent" "$probe" "$portclient" "$reference"; do
    [[ -x $f ]] || fatal "$f is missing; build the project first"
    if ldd "$f" >/dev/null 2>&1; then fatal "$f is dynamically linked; the L1 and L2 initramfs images need static binaries"; fi
done
busybox_bin=$(command -v busybox)
ldd "$busybox_bin" >/dev/null 2>&1 && fatal "$busybox_bin is not static: install busybox-static"

# --- kernel and modules, shared with kernel-patch/build-modules -----------------------------------
# shellcheck source=../../../kernel-patch/lib/debian-kernel.sh
source "$src_root/kernel-patch/lib/debian-kernel.sh"
version=$(dk_source_version) || fatal "cannot tell the Debian version of linux-source-6.1"
release=$(dk_release_for_version "$version") || fatal "no kernel release for Debian $version"
kroot=$(dk_fetch_kernel "$release" "$version") || fatal "cannot fetch linux-image-$release"
vmlinuz=$kroot/boot/vmlinuz-$release
moddir=$kroot/lib/modules/$release
[[ -f $vmlinuz && -d $moddir ]] || fatal "$kroot does not hold the kernel $release"

patch_sum=$(cat "$src_root"/kernel-patch/linux-6.1/*.patch "$src_root/kernel-patch/build-modules" | sha256sum | cut -c1-16)
kvmdir=$EXITSCOPE_CACHE/agent-nested/kvm-$kind-$release-$patch_sum
if [[ ! -f $kvmdir/kvm-amd.ko ]]; then
    log "building $kind kvm modules for $release into $kvmdir"
    extra=()
    [[ $kind == stock ]] && extra=(--stock)
    rm -rf "$kvmdir.tmp"
    nice -n 5 "$src_root/kernel-patch/build-modules" -j 2 --release "$release" --version "$version" "${extra[@]}" \
        "$kvmdir.tmp" >&2 || fatal "kernel-patch/build-modules failed for $kind modules"
    mv "$kvmdir.tmp" "$kvmdir"
fi

rm -rf "$work" && mkdir -p "$work" || fatal "cannot create $work"
cd "$work" || exit 1
depmod -n -b "$kroot" "$release" 2>/dev/null | grep -E '^[^#].*\.ko:' >modules.dep ||
    fatal "depmod cannot read the modules of $release"

# Prints the modules (paths under lib/modules/RELEASE) that NAME needs, dependencies first.
resolve() {
    local path deps d
    path=$(grep -E "(^|/)$1\.ko:" modules.dep | head -n1 | cut -d: -f1)
    [[ -n $path ]] || fatal "module $1 not found in $release"
    deps=$(grep -E "^$path:" modules.dep | cut -d: -f2)
    for d in $deps; do resolve "$(basename "$d" .ko)"; done
    echo "$path"
}
# Copies modules into an initramfs tree and writes its load list (unique, in order).
install_modules() {
    local tree=$1 m
    shift
    mkdir -p "$tree/lib/modules"
    for m in "$@"; do resolve "$m"; done | awk '!seen[$0]++' >"$tree/lib/modules/load.list"
    while read -r m; do
        mkdir -p "$tree/lib/modules/$(dirname "$m")"
        cp "$moddir/$m" "$tree/lib/modules/$m"
    done <"$tree/lib/modules/load.list"
}
busybox_tree() {
    local tree=$1
    mkdir -p "$tree"/{bin,sbin,dev,proc,sys,etc,tmp,usr/bin}
    cp "$busybox_bin" "$tree/bin/busybox"
    for applet in $("$busybox_bin" --list); do
        [[ -e $tree/bin/$applet ]] || ln -s busybox "$tree/bin/$applet"
    done
}
pack() { (cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) >"$2"; }

# --- L2: busybox, the agent, its init hook, the original --once program ---------------------------
l2=$work/l2-tree
busybox_tree "$l2"
install_modules "$l2" virtio_pci virtio_console virtio_blk crc32c_generic ext4
cp "$agent" "$l2/sbin/exitscope-agent"
cp "$reference" "$l2/sbin/reference_once"
sed "s|@CMAKE_INSTALL_FULL_BINDIR@|/sbin|g; s|@CMAKE_INSTALL_FULL_LIBEXECDIR@|/sbin|g" \
    "$src_root/guest-agent/exitscope-agent-init.in" >"$l2/sbin/exitscope-agent-init"
chmod +x "$l2/sbin/exitscope-agent-init"
cp "$here/l2-init" "$l2/init"
pack "$l2" l2-initrd.img

# --- L1: busybox, kvm modules, QEMU with its libraries and firmware, the L2 files ---------------------
l1=$work/l1-tree
busybox_tree "$l1"
install_modules "$l1" virtio_pci virtio_blk ccp irqbypass
grep -vE '/(kvm|kvm-amd|kvm-intel)\.ko$' "$l1/lib/modules/load.list" >"$l1/lib/modules/load.tmp"
mkdir -p "$l1/lib/modules/exitscope"
cp "$kvmdir/kvm.ko" "$kvmdir/kvm-amd.ko" "$l1/lib/modules/exitscope/"
printf '%s\n' exitscope/kvm.ko exitscope/kvm-amd.ko >>"$l1/lib/modules/load.tmp"
mv "$l1/lib/modules/load.tmp" "$l1/lib/modules/load.list"
echo "$kind" >"$l1/etc/exitscope-kvm"
qemu=$(command -v qemu-system-x86_64)
mkdir -p "$l1/usr/bin" "$l1/usr/share/qemu" "$l1/l2"
cp "$qemu" "$l1/usr/bin/"
ldd "$qemu" | awk '/\//{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' | while read -r lib; do
    mkdir -p "$l1$(dirname "$lib")"
    cp -L "$lib" "$l1$lib"
done
for fw in bios-256k.bin linuxboot_dma.bin kvmvapic.bin; do
    src=$(find -L /usr/share/qemu /usr/share/seabios -name "$fw" 2>/dev/null | head -n1)
    [[ -n $src ]] || fatal "QEMU firmware $fw not found (qemu-system-data, seabios)"
    cp -L "$src" "$l1/usr/share/qemu/$fw"
done
cp "$probe" "$l1/sbin/exitscope-probe"
cp "$portclient" "$l1/sbin/portclient"
cp "$vmlinuz" "$l1/l2/vmlinuz"
cp l2-initrd.img "$l1/l2/initrd.img"
cp "$here/l1-init" "$l1/init"
pack "$l1" l1-initrd.img

# --- run L1 ----------------------------------------------------------------------------------------------
# lab/nested/watch-l1 ends an L1 that stalls under the emulator (status 75, with where its vCPUs were);
# such an L1 is booted once more, and says so. Its first console is kept as l1-console.log.attempt1.
kallsyms=$EXITSCOPE_CACHE/nested/kallsyms-$release-$version
for attempt in 1 2; do
    truncate -s 0 results.img && truncate -s 64M results.img
    : >l1-console.log
    : >l1-status.log
    rm -f l1-stalled l1-qmp
    log "booting L1 ($kind kvm modules) under TCG; this takes a few minutes"
    start=$(date +%s)
    timeout "$timeout" nice -n 5 qemu-system-x86_64 -accel tcg,thread=multi -cpu qemu64,+svm,+npt -smp 2 -m 2048 \
        -nodefaults -no-user-config -display none -vga none -no-reboot \
        -kernel "$vmlinuz" -initrd l1-initrd.img \
        -append "console=ttyS0 quiet panic=-1 $("$src_root/lab/nested/watch-l1" --kernel-args) exitscope.seconds=$seconds" \
        -drive file=results.img,format=raw,if=virtio \
        -serial file:l1-console.log -serial file:l1-status.log -qmp unix:l1-qmp,server=on,wait=off &
    qpid=$!
    "$src_root/lab/nested/watch-l1" "$qpid" l1-console.log l1-status.log l1-qmp "$kallsyms" 180 l1-stalled \
        "kvm@$kind=$kvmdir/kvm.ko" "kvm_amd@$kind=$kvmdir/kvm-amd.ko" &
    wpid=$!
    wait "$qpid"
    status=$?
    wait "$wpid"
    log "L1 ran $(($(date +%s) - start)) s, QEMU status $status"
    [[ -e l1-stalled ]] || break
    cat l1-stalled >&2
    ((attempt == 1)) || fatal "L1 stalled under the emulator twice in a row; see $work/l1-console.log and the report above"
    cp l1-console.log l1-console.log.attempt1
    cp l1-stalled l1-stalled.attempt1
    log "NOTE: L1 stalled under the emulator; booting it once more (first console and the report above kept in $work/l1-console.log.attempt1 and l1-stalled.attempt1)"
done
[[ $status -eq 124 ]] && fatal "L1 did not finish within $timeout s; see $work/l1-console.log"
mkdir -p results
tar xf results.img -C results 2>/dev/null || fatal "L1 left no results (see $work/l1-console.log)"
cd results || exit 1
cat l1.log >&2
# An L2 QEMU that had to be killed is a failure, whatever the results say.
if grep -q 'still running after' l1.log; then
    fail "an L2 guest's QEMU did not stop when it should have (above); see l2-*-console.log in $work/results"
fi

# --- judge -----------------------------------------------------------------------------------------------
judge() { # FILE CHECKS...
    local f=$1
    shift
    if [[ ! -s $f ]]; then
        fail "$f is empty or missing"
        return
    fi
    "$check" "$f" "$@" >"$f.report" 2>&1 || { cat "$f.report" >&2; fail "$f: $*"; }
}
once_check() { # CONSOLE: --once output in L2 against the original program, masked values
    tr -d '\r' <"$1" >console.txt
    awk '/^ONCE-BEGIN/{on=1; next} /^ONCE-END/{on=0} on' console.txt >once.out
    awk '/^REFERENCE-BEGIN/{on=1; next} /^REFERENCE-END/{on=0} on' console.txt >reference.out
}

[[ $(cat probe-nokvm.rc) == 1 ]] || fail "exitscope-probe without /dev/kvm exited with $(cat probe-nokvm.rc), expected 1"
grep -q "cannot open /nonexistent/kvm" probe-nokvm.err || fail "exitscope-probe without /dev/kvm gave no clear message: $(cat probe-nokvm.err)"
judge probe-nokvm.exs --error 6 --max-samples 0

if [[ $kind == stock ]]; then
    # Against stock KVM: the probe and the agent both refuse, with error code 1, and stream no samples.
    for rate in 1 20 1000; do
        [[ $(cat probe-$rate.rc) == 1 ]] || fail "exitscope-probe against stock KVM exited with $(cat probe-$rate.rc), expected 1"
        judge probe-$rate.exs --source probe --error 1 --max-samples 0
    done
    grep -q 'leaf not present' probe-1.err || fail "exitscope-probe against stock KVM did not say 'leaf not present'"
    judge stock.1 --source agent --error 1 --max-samples 0 --min-handshakes 1
    once_check l2-stock-console.log
    grep -q 'ONCE-END status 1' console.txt || fail "exitscope-agent --once against stock KVM did not exit with status 1"
    [[ ! -s once.out ]] || grep -q 'does not have the exit counters' once.out ||
        fail "exitscope-agent --once against stock KVM printed: $(cat once.out)"
else
    # The probe in L1.
    # Under TCG a reading takes over a millisecond: at 1 kHz the probe gets only a fraction of its ticks.
    for rate in 1 20 1000; do
        [[ $(cat probe-$rate.rc) == 0 ]] || fail "exitscope-probe at $rate Hz exited with $(cat probe-$rate.rc): $(cat probe-$rate.err)"
        min=$((rate * seconds / 2))
        ((min > 1000)) && min=1000
        judge probe-$rate.exs --source probe --abi --clean --monotonic --own-increasing --min-samples $min \
            --no-errors --no-drops --period-ns $((1000000000 / rate))
    done

    [[ $(cat probe-reasons.rc) == 0 ]] || fail "exitscope-probe --reasons exited with $(cat probe-reasons.rc): $(cat probe-reasons.err)"
    judge probe-reasons.exs --source probe --clean --reason-grows 0x72 --reason-grows 0x78

    # --once in L2: same bytes as the original program apart from the values, and the values grow.
    once_check l2-functional-console.log
    [[ $(wc -l <once.out) -eq 4 ]] || fail "--once printed $(wc -l <once.out) lines over two runs, expected 4: $(cat once.out)"
    diff <(sed -E 's/0x[0-9a-f]+/0xV/' once.out | od -c) <(sed -E 's/0x[0-9a-f]+/0xV/' reference.out | od -c) >/dev/null ||
        fail "--once output differs from the original program's beyond the values: $(od -c once.out | head)"
    [[ $(wc -c <once.out) -eq $(wc -c <reference.out) ]] || fail "--once and the original program print different byte counts"
    grep -cxE 'Total Exits: 0x[0-9a-f]{8}' once.out | grep -qx 2 || fail "--once: no 'Total Exits: 0x%08x' lines"
    grep -cxE 'Total CPU Cycles Handling Exits: 0x[0-9a-f]{16} ' once.out | grep -qx 2 || fail "--once: no cycles lines with the trailing space"
    first=$(sed -n '1s/Total Exits: //p' once.out) second=$(sed -n '3s/Total Exits: //p' once.out)
    ((second > first)) || fail "--once: total exits did not grow between two runs ($first, $second)"

    # The agent in L2: first reader, second reader.
    [[ $(cat functional-portclient.rc) == 0 ]] || { cat functional-portclient.log >&2; fail "the host side's script did not complete (a marker never arrived)"; }
    judge functional.1 --source agent --abi --clean --monotonic --own-increasing --min-handshakes 2 --min-samples 40 \
        --marker boot=boot: --marker boot-stage=initramfs \
        --marker workload-start="write 16" --marker workload-end="ok 16 MiB" \
        --marker workload-start="read 16" --marker io-start=vda --marker io-end=vda --pairs --no-drops
    judge functional.2 --source agent --abi --clean --monotonic --own-increasing --min-handshakes 2 \
        --continues functional.1 --marker mark="nested done" --period-ns 5000000 --min-samples 200
    # Recovery: what the agent queued while nobody read reaches the second reader, then a handshake. The
    # two captures together are one stream, but for what was in flight when the first reader closed (in
    # its socket buffer, or in QEMU): the agent cannot know about those, the reader sees them as a gap.
    cat functional.1 functional.2 >functional.both
    judge functional.both --max-lost 8 --monotonic --own-increasing

    # Measurements: one session per run (see l2-init); the first is the baseline.
    [[ $(cat measure-portclient.rc) == 0 ]] || fail "the measured L2 did not power off in time"
    judge measure.1 --source agent --abi --monotonic --own-increasing --min-handshakes 4 --clean
    {
        echo "== agent in L2 (runs of ${seconds} s; 'others' = exits minus own CPUID)"
        grep '^stretch' measure.1.report
        tr -d '\r' <l2-measure-console.log | grep -E '^(MEASURE-BEGIN|exitscope-agent:)'
        echo "== probe in L1 (no other VM running)"
        for rate in 1 20 1000; do
            grep '^stretch' probe-$rate.exs.report
            cat probe-$rate.err
        done
    } >performance.txt
    cat performance.txt >&2
fi

if ((failures)); then
    log "$failures check(s) failed; the files are in $work/results"
    exit 1
fi
log "all checks passed; the files are in $work/results"
exit 0
