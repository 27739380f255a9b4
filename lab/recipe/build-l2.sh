#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds the lab's L2 disk: an ext4 image, mounted read-only in L1 at /var/lib/exitscope, holding the L2
# guests' kernel, a busybox initramfs that starts exitscope-agent early, and their libvirt domain XML.
#
# usage: build-l2.sh OUTDIR L1DIR DOMAIN_TEMPLATE AGENT|- VCPUS...
#   L1DIR    a finished L1 build (build-l1.sh); its kit/ supplies kernel, busybox and modules
#   AGENT    the static exitscope-agent binary, or - for an L2 without the agent
#   VCPUS    one domain per count (1 to 4): exitscope-l2 for 1 vCPU, exitscope-l2-<N>cpu otherwise
# Environment: EXITSCOPE_LAB_L2_MEMORY (MiB, default 256).
set -euo pipefail

die() { printf 'build-l2: error: %s\n' "$*" >&2; exit 1; }

[[ $# -ge 5 ]] || die "usage: build-l2.sh OUTDIR L1DIR DOMAIN_TEMPLATE AGENT|- VCPUS..."
out=$1 l1=$2 template=$3 agent=$4
shift 4
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kit=$l1/kit
memory=${EXITSCOPE_LAB_L2_MEMORY:-256}
guest_dir=/var/lib/exitscope/l2

[[ ! -e $out ]] || die "$out already exists"
[[ -f $kit/vmlinuz && -x $kit/busybox && -f $kit/modules.order ]] || die "$kit is incomplete; rebuild L1"
[[ -f $template ]] || die "domain template $template not found"
[[ $memory =~ ^[0-9]+$ ]] || die "EXITSCOPE_LAB_L2_MEMORY must be a number of MiB"
if [[ $agent != - ]]; then
    [[ -f $agent && -x $agent ]] || die "exitscope-agent binary $agent not found or not executable"
    # The initramfs has no C library: the agent must be a static x86-64 ELF executable, i.e. one
    # without a PT_INTERP program header.
    elf=$(perl -e '
        open(my $f, "<:raw", $ARGV[0]) or die "cannot read\n";
        read($f, my $h, 64) == 64 or do { print "short"; exit };
        my ($magic, $class) = unpack("a4 C", $h);
        ($magic eq "\x7fELF" && $class == 2) or do { print "not-elf64"; exit };
        my ($phoff, $phentsize, $phnum) = (unpack("Q<", substr($h, 32, 8)), unpack("v v", substr($h, 54, 4)));
        for my $i (0 .. $phnum - 1) {
            seek($f, $phoff + $i * $phentsize, 0); read($f, my $ph, 4);
            if (unpack("V", $ph) == 3) { print "dynamic"; exit }
        }
        print "static";' "$agent") || die "cannot inspect $agent"
    case $elf in
    static) ;;
    dynamic) die "$agent is dynamically linked; the L2 initramfs needs a static exitscope-agent \
(EXITSCOPE_AGENT_STATIC=ON, not a sanitizer build)" ;;
    *) die "$agent is not a 64-bit ELF executable" ;;
    esac
fi

mkdir -p "$out"
stage=$out/stage
initrd=$out/initrd
mkdir -p "$stage/l2" "$initrd"/{bin,sbin,etc/init.d,lib/modules,proc,sys,dev,run,tmp,root}

# The initramfs: busybox with all its applets, the modules in load order, init scripts, the agent.
cp "$kit/busybox" "$initrd/bin/busybox"
for applet in $("$kit/busybox" --list-full); do
    [[ $applet == bin/busybox ]] && continue
    mkdir -p "$initrd/$(dirname "$applet")"
    [[ -e $initrd/$applet ]] || ln -s /bin/busybox "$initrd/$applet"
done
ln -sf /bin/busybox "$initrd/init"
cp "$kit"/modules/*.ko "$initrd/lib/modules/"
cp "$kit/modules.order" "$initrd/lib/modules/modules.order"
# The scratch disk (below) needs virtio_blk and ext4, which the L1 kit lacks: taken from L1's root
# image with debugfs, each after the modules it depends on (modules.dep lists them last-loaded first).
release=$(cat "$kit/kernel-release")
moddir=/lib/modules/$release
debugfs -R "cat $moddir/modules.dep" "$l1/rootfs.img" 2>/dev/null >"$out/modules.dep"
[[ -s $out/modules.dep ]] || die "cannot read $moddir/modules.dep from $l1/rootfs.img"
add_module() {
    local path=$1 name dep
    name=${path##*/}
    grep -qxF "$name" "$initrd/lib/modules/modules.order" && return 0
    local line
    line=$(grep -m 1 "^$path:" "$out/modules.dep") || die "$path is not in $moddir/modules.dep"
    local deps=(${line#*:})
    for ((dep = ${#deps[@]} - 1; dep >= 0; dep--)); do
        add_module "${deps[dep]}"
    done
    debugfs -R "dump $moddir/$path $initrd/lib/modules/$name" "$l1/rootfs.img" >/dev/null 2>&1
    [[ -s $initrd/lib/modules/$name ]] || die "cannot extract $path from $l1/rootfs.img"
    echo "$name" >>"$initrd/lib/modules/modules.order"
}
add_module kernel/drivers/block/virtio_blk.ko
# ext4 asks the crypto API for crc32c at every mount; there is no modprobe in the initramfs to load it
# on demand, so it is loaded before.
add_module kernel/crypto/crc32c_generic.ko
add_module kernel/fs/ext4/ext4.ko
rm "$out/modules.dep"
install -m 0755 "$here/l2/rcS" "$initrd/etc/init.d/rcS"
install -m 0755 "$here/l2/agent-run" "$initrd/sbin/exitscope-agent-run"
install -m 0644 "$here/l2/inittab" "$initrd/etc/inittab"
install -d "$initrd/etc/acpi/PWRF"
install -m 0755 "$here/l2/acpi-power" "$initrd/etc/acpi/PWRF/00000080"
if [[ $agent != - ]]; then
    install -m 0755 "$agent" "$initrd/sbin/exitscope-agent"
fi
(cd "$initrd" && find . -mindepth 1 | LC_ALL=C sort | "$kit/busybox" cpio -o -H newc 2>/dev/null) \
    | gzip -n -6 >"$stage/l2/initrd.img"
cp "$kit/vmlinuz" "$stage/l2/vmlinuz"
# The scratch disk's first contents: an empty ext2 file system (formatted here, so that no boot pays
# for mkfs), copied by labctl to a writable file per domain in L1. The agent's write and read
# workloads need a disk file system (O_DIRECT) and the I/O path's exits; 192 MiB holds the largest
# shipped experiment's 64 MiB file twice over.
truncate -s 192M "$stage/l2/scratch.img"
mke2fs -q -t ext2 -m 0 -L exitscope-scratch -F "$stage/l2/scratch.img" >/dev/null || die "mke2fs of the scratch disk failed"
# L1's QEMU runs as libvirt-qemu and must read all of it, whatever umask this build ran with.
chmod 0755 "$stage" "$stage/l2"
chmod 0644 "$stage/l2/initrd.img" "$stage/l2/vmlinuz" "$stage/l2/scratch.img"

cmdline="console=ttyS0 panic=-1 loglevel=4"
names=()
for n in "$@"; do
    [[ $n =~ ^[1-4]$ ]] || die "vCPU count '$n' out of range: 1 to 4"
    if [[ $n == 1 ]]; then name=exitscope-l2; else name=exitscope-l2-${n}cpu; fi
    sed -e "s|@NAME@|$name|g" -e "s|@VCPUS@|$n|g" -e "s|@MEMORY_MIB@|$memory|g" \
        -e "s|@KERNEL@|$guest_dir/vmlinuz|g" -e "s|@INITRD@|$guest_dir/initrd.img|g" \
        -e "s|@SCRATCH@|/var/lib/libvirt/images/$name-scratch.img|g" \
        -e "s|@CMDLINE@|$cmdline|g" "$template" >"$stage/l2/$name.xml"
    if grep -q '@[A-Z_]*@' "$stage/l2/$name.xml"; then
        die "$template has a field this build does not fill in: $(grep -o '@[A-Z_]*@' "$stage/l2/$name.xml" | head -n 1)"
    fi
    names+=("$name")
done
printf '%s\n' "${names[@]}" >"$out/domains"
if [[ $agent != - ]]; then sha256sum "$agent" | cut -d' ' -f1 >"$out/agent.sha256"; else echo none >"$out/agent.sha256"; fi

# The image is read-only in L1; size it to the content plus room for ext4's own structures.
kib=$(du -sk "$stage" | cut -f1)
nice -n 5 mke2fs -q -t ext4 -L exitscope-l2 -d "$stage" -F "$out/l2.img" "$((kib * 5 / 4 + 8192))k" >/dev/null \
    || die "mke2fs -d failed"
rm -rf "$stage" "$initrd"
