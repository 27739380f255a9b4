# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the kernel scripts: resolve the Debian kernel that matches
# the installed linux-source-6.1, fetch its image and headers packages into a
# cache (never installing them on this host) and extract the source tarball.
# Source this file from bash scripts that run with `set -euo pipefail`.

EXITSCOPE_CACHE="${EXITSCOPE_CACHE:-$HOME/.cache/exitscope}"
KERNEL_PATCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() {
	echo "error: $*" >&2
	exit 1
}

note() {
	echo ">> $*" >&2
}

# Debian version of an installed package, or empty.
dk_installed_version() {
	dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null |
		awk '$3 == "installed" { print $4 }'
}

# Debian version of the installed linux-source-6.1 package.
dk_source_version() {
	local v
	v="$(dk_installed_version linux-source-6.1)"
	[[ -n "$v" ]] || die "linux-source-6.1 is not installed; run: apt-get install linux-source-6.1"
	echo "$v"
}

# Kernel release (6.1.0-N-amd64) whose headers package has Debian version $1.
dk_release_for_version() {
	local want="$1" pkg
	for pkg in $(apt-cache search --names-only '^linux-headers-6\.1\.0-[0-9]+-amd64$' | awk '{ print $1 }'); do
		if apt-cache madison "$pkg" | awk -v v="$want" '$3 == v { found = 1 } END { exit !found }'; then
			echo "${pkg#linux-headers-}"
			return 0
		fi
	done
	die "no linux-headers-6.1.0-*-amd64 package with version $want is known to apt; run apt-get update, or pass --release and --version explicitly"
}

# Upstream version (6.1.N) from a kernel Makefile.
dk_makefile_version() {
	awk -F' *= *' '$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 }
		$1 == "SUBLEVEL" { s = $2; print v "." p "." s; exit }' "$1"
}

# dk_fetch_kernel RELEASE VERSION: download linux-image-RELEASE and the headers
# packages of Debian version VERSION and extract them into
# $EXITSCOPE_CACHE/debian-kernel/VERSION/root. Prints that directory.
dk_fetch_kernel() {
	local release="$1" version="$2"
	local dir="$EXITSCOPE_CACHE/debian-kernel/$version"
	local root="$dir/root"
	if [[ -f "$dir/.complete-$release" ]]; then
		echo "$root"
		return 0
	fi
	mkdir -p "$dir/debs"
	local pkgs=("linux-image-$release=$version" "linux-headers-$release=$version"
		"linux-headers-${release%-*}-common=$version" "linux-kbuild-6.1=$version")
	note "fetching ${pkgs[*]}"
	# apt-get download drops privileges to _apt; a root-owned cache may refuse it.
	(cd "$dir/debs" && apt-get download -q "${pkgs[@]}" >&2) ||
		die "apt-get download of ${pkgs[*]} failed; check that Debian's archive still carries version $version (apt-get update) and that the release $release matches it"
	rm -rf "$root"
	mkdir -p "$root"
	local deb
	for deb in "$dir"/debs/*_"$version"_*.deb; do
		dpkg-deb -x "$deb" "$root"
	done
	# The headers Makefile includes the common headers by absolute path.
	local hdr="$root/usr/src/linux-headers-$release"
	[[ -f "$hdr/Makefile" ]] || die "linux-headers-$release did not contain a Makefile"
	sed -i "s|^include /usr/src/|include $root/usr/src/|" "$hdr/Makefile"
	touch "$dir/.complete-$release"
	echo "$root"
}

# Debian version recorded in a linux-headers-RELEASE directory.
dk_headers_version() {
	local hdr="$1"
	sed -n 's/^#define LINUX_PACKAGE_ID " Debian \(.*\)"$/\1/p' "$hdr/include/generated/package.h" 2>/dev/null
}

# Kernel release recorded in a linux-headers-RELEASE directory.
dk_headers_release() {
	sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$1/include/generated/utsrelease.h" 2>/dev/null
}

# dk_extract_source TARBALL VERSION: extract a linux-source tarball into the
# cache once. Prints the tree's directory.
dk_extract_source() {
	local tarball="$1" version="$2"
	local dir="$EXITSCOPE_CACHE/linux-source/$version"
	if [[ ! -f "$dir/.complete" ]]; then
		note "extracting $tarball"
		rm -rf "$dir"
		mkdir -p "$dir"
		tar -xf "$tarball" -C "$dir" || die "could not extract $tarball"
		touch "$dir/.complete"
	fi
	local tree
	tree="$(find "$dir" -mindepth 1 -maxdepth 1 -type d | head -n1)"
	[[ -f "$tree/Makefile" ]] || die "$tarball does not hold a kernel tree"
	echo "$tree"
}

# dk_apply_patches TREE PATCHDIR: apply the series in order to TREE, or fail
# naming the first patch that does not apply.
dk_apply_patches() {
	local tree="$1" patches="$2" p
	local list=("$patches"/*.patch)
	[[ -e "${list[0]}" ]] || die "no *.patch files in $patches"
	for p in "${list[@]}"; do
		if ! patch -d "$tree" -p1 --forward --batch --fuzz=0 --quiet <"$p" >"$tree/.patch-log" 2>&1; then
			cat "$tree/.patch-log" >&2
			die "patch $(basename "$p") does not apply to $tree; the series targets $(cat "$patches/BASE" 2>/dev/null || echo '(see BASE)'); use a matching source or refresh the series"
		fi
	done
	rm -f "$tree/.patch-log"
}
