#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Builds the lab's L1 host: a debootstrapped Debian bookworm root with systemd, sshd, libvirtd and QEMU,
# the Debian kernel of exactly the requested Debian version, written to an ext4 image.
#
# usage: build-l1.sh OUTDIR KERNEL_DEBIAN_VERSION
#   OUTDIR must not exist; it is created and filled with:
#     rootfs.img            ext4 image of the root file system (raw, sparse)
#     vmlinuz, initrd.img   the kernel and initramfs for direct kernel boot
#     kernel-release        e.g. 6.1.0-56-amd64
#     kernel-version        the Debian version, e.g. 6.1.192-2
#     ssh_host_ed25519_key.pub   L1's host key, generated here and pinned by labctl
#     id_ed25519, id_ed25519.pub the lab's client key pair (root's authorized key in L1)
#     manifest              every installed package and its version
#     kit/                  what the L2 build takes from this root (kernel, busybox, modules)
# Environment: EXITSCOPE_LAB_MIRROR, EXITSCOPE_LAB_SECURITY_MIRROR (Debian mirrors to use).
set -euo pipefail

die() { printf 'build-l1: error: %s\n' "$*" >&2; exit 1; }
# Every line says how long the build has run; a step of minutes says every 30 s that it still runs.
log() { printf 'build-l1: [%4d s] %s\n' "$SECONDS" "$*" >&2; }
long_step() { # WHAT LOGFILE COMMAND...: COMMAND's output goes to LOGFILE
    local what=$1 logfile=$2 pid started=$SECONDS i
    shift 2
    "$@" >>"$logfile" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        for ((i = 0; i < 30; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 1
        done
        if kill -0 "$pid" 2>/dev/null; then
            log "  still $what ($((SECONDS - started)) s; $(wc -l <"$logfile") lines in ${logfile##*/})"
        fi
    done
    wait "$pid"
}

[[ $# -eq 2 ]] || die "usage: build-l1.sh OUTDIR KERNEL_DEBIAN_VERSION"
out=$1
kver=$2
mirror=${EXITSCOPE_LAB_MIRROR:-http://deb.debian.org/debian}
secmirror=${EXITSCOPE_LAB_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
files=$here/l1

[[ $EUID -eq 0 ]] || die "debootstrap and mke2fs -d need root; run as root"
[[ ! -e $out ]] || die "$out already exists"
for tool in debootstrap mke2fs debugfs ssh-keygen chroot mount qemu-system-x86_64 perl; do
    command -v "$tool" >/dev/null || die "$tool not found; install the Debian packages listed in docs/lab.md"
done

# Packages of the L1 root. dbus and libpam-systemd are needed by libvirt-daemon-system's configure step.
packages=(
    systemd-sysv udev dbus libpam-systemd
    openssh-server
    libvirt-daemon-system libvirt-daemon-driver-qemu qemu-system-x86
    kmod iproute2 procps
    initramfs-tools busybox-static
)

mkdir -p "$out"
root=$out/rootfs
mounted=()
cleanup() {
    local m
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        m=${mounted[i]}
        umount -l "$m" 2>/dev/null || true
    done
}
trap cleanup EXIT

in_root() {
    nice -n 5 chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive "$@"
}

log "debootstrap bookworm from $mirror"
packages_csv=$(IFS=,; echo "${packages[*]}")
if ! long_step "debootstrapping" "$out/debootstrap.log" \
        nice -n 5 debootstrap --variant=minbase --include="$packages_csv" bookworm "$root" "$mirror"; then
    tail -n 30 "$out/debootstrap.log" >&2 || true
    [[ -f $root/debootstrap/debootstrap.log ]] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
    die "debootstrap failed (log above); check that $mirror is reachable"
fi

for m in proc sys dev dev/pts; do
    case $m in
    proc) mount -t proc proc "$root/proc" ;;
    sys) mount -t sysfs sysfs "$root/sys" ;;
    dev) mount --bind /dev "$root/dev" ;;
    dev/pts) mount --bind /dev/pts "$root/dev/pts" ;;
    esac
    mounted+=("$root/$m")
done

# Nothing may start services inside the build root.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"

cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $secmirror bookworm-security main
EOF

log "resolving the Debian kernel package of version $kver"
in_root apt-get -q update >"$out/apt.log" 2>&1 || { tail -n 20 "$out/apt.log" >&2; die "apt-get update failed in the L1 root"; }
# linux-image-amd64 of that version depends on exactly one ABI-named image package of the same version.
image_pkg=$(in_root apt-cache show "linux-image-amd64=$kver" 2>/dev/null \
    | sed -n 's/^Depends: .*\(linux-image-[0-9][^ ]*-amd64\) (= .*/\1/p' | head -n 1) || true
[[ -n $image_pkg ]] || die "Debian's archive does not offer linux-image-amd64 $kver (the version of the installed \
linux-source-6.1). Upgrade linux-source-6.1 to a version the mirror carries, or set EXITSCOPE_LAB_KERNEL_VERSION."
release=${image_pkg#linux-image-}

# A small initramfs: only what it takes to mount a virtio disk.
mkdir -p "$root/etc/initramfs-tools/conf.d"
printf 'MODULES=list\nCOMPRESS=gzip\n' >"$root/etc/initramfs-tools/conf.d/exitscope-lab.conf"
printf 'virtio_pci\nvirtio_blk\next4\n' >>"$root/etc/initramfs-tools/modules"

log "installing $image_pkg=$kver"
long_step "installing the kernel" "$out/apt.log" in_root apt-get -q -y --no-install-recommends install "$image_pkg=$kver" \
    || { tail -n 30 "$out/apt.log" >&2; die "installing $image_pkg=$kver failed"; }
got=$(in_root dpkg-query -W -f '${Version}' "$image_pkg")
[[ $got == "$kver" ]] || die "installed $image_pkg is $got, wanted $kver"
[[ -f $root/boot/vmlinuz-$release && -f $root/boot/initrd.img-$release ]] \
    || die "kernel or initramfs missing in /boot after installing $image_pkg"

log "configuring the L1 root"
echo exitscope-l1 >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\texitscope-l1\n' >"$root/etc/hosts"
install -m 0644 "$files/fstab" "$root/etc/fstab"
install -m 0644 "$files/exitscope-net.service" "$root/etc/systemd/system/exitscope-net.service"
install -m 0644 "$files/sshd_config" "$root/etc/ssh/sshd_config.d/exitscope-lab.conf"
install -m 0644 "$files/exitscope-l2-install.service" "$root/etc/systemd/system/exitscope-l2-install.service"
install -m 0755 "$files/exitscope-l2-install" "$root/usr/local/sbin/exitscope-l2-install"
install -m 0644 "$files/exitscope-provision.service" "$root/etc/systemd/system/exitscope-provision.service"
install -m 0755 "$files/exitscope-provision" "$root/usr/local/sbin/exitscope-provision"
mkdir -p "$root/var/lib/exitscope"
in_root systemctl enable exitscope-net.service exitscope-l2-install.service exitscope-provision.service \
    ssh.service libvirtd.service >/dev/null 2>&1 \
    || die "enabling the L1 services failed"
# Units that only cost boot time in a lab, which is reached over SSH only.
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
        man-db.timer systemd-timesyncd.service libvirt-guests.service cron.service getty@tty1.service \
        serial-getty@ttyS0.service systemd-networkd.service systemd-networkd-wait-online.service \
        systemd-logind.service; do
    in_root systemctl mask "$unit" >/dev/null 2>&1 || true
done
# libvirt's default NAT network needs dnsmasq; the L2 guests of the lab have no network.
rm -f "$root/etc/libvirt/qemu/networks/autostart/default.xml"

# Keys: L1's host key is generated here and pinned by labctl; the client key is the lab's own.
rm -f "$root"/etc/ssh/ssh_host_*
ssh-keygen -q -t ed25519 -N '' -C exitscope-l1 -f "$root/etc/ssh/ssh_host_ed25519_key"
cp "$root/etc/ssh/ssh_host_ed25519_key.pub" "$out/ssh_host_ed25519_key.pub"
ssh-keygen -q -t ed25519 -N '' -C exitscope-lab -f "$out/id_ed25519"
install -d -m 0700 "$root/root/.ssh"
install -m 0600 "$out/id_ed25519.pub" "$root/root/.ssh/authorized_keys"
in_root usermod -p '*' root

in_root dpkg-query -W -f '${Package}=${Version}\n' | sort >"$out/manifest"

# What the L2 build needs from this root.
kit=$out/kit
mkdir -p "$kit/modules"
cp "$root/boot/vmlinuz-$release" "$kit/vmlinuz"
cp "$root/bin/busybox" "$kit/busybox"
# virtio_console provides /dev/vport*; button and evdev let busybox acpid see the ACPI power button.
in_root modprobe -a -S "$release" --show-depends virtio_pci virtio_console button evdev >"$kit/modules.deps" \
    || die "cannot resolve the L2 modules in $release"
while read -r verb path _; do
    [[ $verb == insmod && ! -e $kit/modules/$(basename "$path") ]] || continue
    cp "$root$path" "$kit/modules/"
    basename "$path" >>"$kit/modules.order"
done <"$kit/modules.deps"
rm "$kit/modules.deps"
echo "$release" >"$kit/kernel-release"

rm -f "$root/usr/sbin/policy-rc.d"
in_root apt-get clean
rm -rf "$root"/var/lib/apt/lists/*_Packages "$root"/var/lib/apt/lists/*_InRelease "$root/var/log/apt"/*.log
cp "$root/boot/vmlinuz-$release" "$out/vmlinuz"
cp "$root/boot/initrd.img-$release" "$out/initrd.img"
echo "$release" >"$out/kernel-release"
echo "$kver" >"$out/kernel-version"

cleanup
mounted=()
log "writing the ext4 image"
nice -n 5 mke2fs -q -t ext4 -L exitscope-l1 -d "$root" -F "$out/rootfs.img" 4G >/dev/null \
    || die "mke2fs -d failed"
rm -rf "$root"

# One boot of the finished image: systemd's first-boot work and libvirt's probe of QEMU happen here,
# once, instead of in every lab start.
log "first boot of the image (QEMU emulator; a few minutes at most)"
mkdir -p "$out/blank/l2"
mke2fs -q -t ext4 -L exitscope-l2 -d "$out/blank" -F "$out/blank-l2.img" 4M >/dev/null || die "mke2fs failed"
long_step "booting the image for the first time" "$out/qemu.log" timeout 900 nice -n 5 qemu-system-x86_64 -machine q35 -accel tcg,thread=multi -cpu qemu64,+svm,+npt \
    -smp 2 -m 2048 -kernel "$out/vmlinuz" -initrd "$out/initrd.img" \
    -append "root=/dev/vda rw console=ttyS0,115200 net.ifnames=0 panic=-1 loglevel=4" \
    -drive "file=$out/rootfs.img,format=raw,if=virtio" -drive "file=$out/blank-l2.img,format=raw,if=virtio,readonly=on" \
    -nic none -device virtio-rng-pci \
    -display none -vga none -no-reboot -serial "file:$out/provision.log" </dev/null \
    || { tail -n 40 "$out/provision.log" "$out/qemu.log" >&2; die "the first boot of the image failed or timed out"; }
provisioned=$(debugfs -R 'stat /var/lib/exitscope-lab/provisioned' "$out/rootfs.img" 2>/dev/null) || provisioned=
[[ $provisioned == *Inode:* ]] \
    || { tail -n 40 "$out/provision.log" >&2; die "the first boot of the image did not finish its preparation"; }
rm -rf "$out/blank" "$out/blank-l2.img"
log "done: $release ($kver)"
