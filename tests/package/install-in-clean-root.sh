#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The packages install into a clean Debian 12 root (debootstrap minbase) with their dependencies
# from Debian's archive, work there, and leave nothing behind when purged.
#   install-in-clean-root.sh BUILD_DIR
# Needs root (debootstrap, chroot). The minbase root is cached in $EXITSCOPE_CACHE/package-root.
set -euo pipefail
build=$1
cache=${EXITSCOPE_CACHE:-$HOME/.cache/exitscope}
mirror=${EXITSCOPE_LAB_MIRROR:-http://deb.debian.org/debian}
secmirror=${EXITSCOPE_LAB_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
say() { printf '== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $EUID -eq 0 ]] || fail "installing into a root needs root"
for tool in debootstrap chroot cpack tar flock; do
    command -v "$tool" >/dev/null || fail "$tool is missing (scripts/setup test installs it)"
done

work=$(mktemp -d /var/tmp/exitscope-package-test.XXXXXX)
root=$work/root
mounted=()
cleanup() {
    local i
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
in_root() {
    chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
        DEBIAN_FRONTEND=noninteractive "$@"
}

say "making the packages"
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake") >"$work/cpack.log" 2>&1 \
    || { cat "$work/cpack.log"; fail "cpack failed"; }
debs=("$work"/exitscope_*_amd64.deb "$work"/exitscope-agent_*_amd64.deb)
[[ -f ${debs[0]} && -f ${debs[1]} ]] || fail "cpack did not make both packages"

# A minbase root, made once and kept: the packages' own dependencies are what this test installs.
base=$cache/package-root/bookworm-minbase-$(printf '%s %s format=1' "$mirror" "$secmirror" | sha256sum | cut -c1-12).tar
if [[ ! -f $base ]]; then
    mkdir -p "$cache/package-root"
    exec {lock}>"$base.lock"
    flock "$lock"
    if [[ ! -f $base ]]; then
        say "debootstrap --variant=minbase bookworm from $mirror (once; cached in $cache/package-root)"
        started=$SECONDS
        mkdir "$work/base"
        nice -n 5 debootstrap --variant=minbase bookworm "$work/base" "$mirror" >"$work/debootstrap.log" 2>&1 \
            || { tail -n 30 "$work/debootstrap.log"; fail "debootstrap failed; check that $mirror is reachable"; }
        printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
            "$mirror" "$mirror" "$secmirror" >"$work/base/etc/apt/sources.list"
        tar -C "$work/base" -cf "$base.tmp" .
        mv "$base.tmp" "$base"
        rm -rf "$work/base"
        say "the minbase root took $((SECONDS - started)) s"
    fi
    exec {lock}>&-
fi
mkdir "$root"
tar -C "$root" -xf "$base"
for m in proc dev; do
    if [[ $m == proc ]]; then mount -t proc proc "$root/proc"; else mount --bind /dev "$root/dev"; fi
    mounted+=("$root/$m")
done
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" # no service starts in the root
chmod 755 "$root/usr/sbin/policy-rc.d"

# What the root holds before, but for the package manager's own records and caches.
snapshot() {
    (cd "$root" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./tmp -o -path ./var/cache -o -path ./var/lib/apt \
        -o -path ./var/lib/dpkg -o -path ./var/log -o -path ./root \) -prune -o -print) | LC_ALL=C sort
}
snapshot >"$work/before"

say "installing ${debs[*]##*/} with their dependencies"
cp "${debs[@]}" "$root/tmp/"
in_root apt-get -q update >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log"; fail "apt-get update failed in the root"; }
in_root apt-get -q -y --no-install-recommends install /tmp/"${debs[0]##*/}" /tmp/"${debs[1]##*/}" >>"$work/apt.log" 2>&1 \
    || { tail -n 30 "$work/apt.log"; fail "the packages did not install"; }
grep -E '^(Setting up|Unpacking) exitscope' "$work/apt.log" || true

say "running them"
version=$(in_root exitscope-cli --version 2>/dev/null) || fail "exitscope-cli --version failed"
echo "$version"
[[ $version =~ ^exitscope-cli\ [0-9] ]] || fail "exitscope-cli --version printed '$version'"
in_root exitscope --version 2>/dev/null | grep -q '^exitscope [0-9]' || fail "exitscope --version failed without a display"
in_root exitscope-agent --help | grep -q '^usage: exitscope-agent' || fail "exitscope-agent --help failed"
in_root exitscope-probe --help | grep -q '^usage: exitscope-probe' || fail "exitscope-probe --help failed"
in_root labctl --help | grep -q '^usage: labctl' || fail "labctl (a link into /usr/share/exitscope/lab) failed"
# The installed CLI finds its own files and Qt's SQLite driver: it replays the shipped recording into a run database.
in_root exitscope-cli record --quiet --store /tmp/runs.sqlite --file /usr/share/exitscope/resources/recordings/l2-boot-and-io.exs \
    --csv /tmp/run.csv 2>&1 | tail -n 3 || fail "the installed exitscope-cli could not record the shipped recording"
[[ $(wc -l <"$root/tmp/run.csv") -gt 100 ]] || fail "the recording's CSV is short"
echo "ok: installed, and they run (exitscope-cli replayed the shipped recording: $(($(wc -l <"$root/tmp/run.csv") - 1)) rows)"

say "purging them"
in_root apt-get -q -y purge exitscope exitscope-agent >>"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log"; fail "purge failed"; }
in_root apt-get -q -y autoremove --purge >>"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log"; fail "autoremove failed"; }
snapshot >"$work/after"
left=$(comm -13 "$work/before" "$work/after")
if [[ -n $left ]]; then
    printf '%s\n' "$left" | head -n 30
    fail "purging left $(wc -l <<<"$left") paths behind (above)"
fi
[[ -z $(in_root dpkg-query -W -f '${Package}\n' 'exitscope*' 2>/dev/null) ]] || fail "dpkg still knows an exitscope package"
echo "ok: purged, and the root holds nothing it did not hold before"
