#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# cpack -G DEB makes both packages, with what each must hold; lintian finds no errors in them;
# the desktop entry and the AppStream metainfo validate.
#   lint-packages.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== cpack -G DEB"
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake") >"$work/cpack.log" 2>&1 \
    || { cat "$work/cpack.log"; fail "cpack failed"; }
version=$(sed -n 's/^project(ExitScope VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
workbench=$work/exitscope_${version}_amd64.deb
agent=$work/exitscope-agent_${version}_amd64.deb
[[ -f $workbench && -f $agent ]] || { ls "$work"; fail "cpack did not make exitscope and exitscope-agent $version"; }

holds() { # PACKAGE PATH...
    local deb=$1 listing
    shift
    listing=$(dpkg-deb -c "$deb" | awk '{ print $6 }')
    for path in "$@"; do
        grep -qxF "./$path" <<<"$listing" || fail "$(basename "$deb") lacks /$path"
    done
}
holds "$workbench" usr/bin/exitscope usr/bin/exitscope-cli usr/bin/exitscope-probe usr/bin/labctl \
    usr/share/applications/org.exitscope.ExitScope.desktop \
    usr/share/icons/hicolor/scalable/apps/org.exitscope.ExitScope.svg \
    usr/share/icons/hicolor/48x48/apps/org.exitscope.ExitScope.png usr/share/icons/hicolor/128x128/apps/org.exitscope.ExitScope.png \
    usr/share/metainfo/org.exitscope.ExitScope.metainfo.xml usr/share/mime/packages/org.exitscope.ExitScope.xml \
    usr/share/man/man1/exitscope.1.gz usr/share/man/man1/exitscope-cli.1.gz usr/share/man/man1/labctl.1.gz \
    usr/share/man/man8/exitscope-probe.8.gz usr/share/bash-completion/completions/exitscope-cli \
    usr/share/exitscope/kernel-patch/build-modules usr/share/exitscope/lab/labctl \
    usr/share/exitscope/resources/recordings/l2-boot-and-io.exs \
    usr/share/doc/exitscope/copyright usr/share/doc/exitscope/changelog.gz
holds "$agent" usr/bin/exitscope-agent usr/lib/systemd/system/exitscope-agent.service \
    usr/lib/udev/rules.d/60-exitscope-agent.rules usr/libexec/exitscope/exitscope-agent-init \
    usr/share/man/man8/exitscope-agent.8.gz usr/share/doc/exitscope-agent/copyright
# The unit names the agent where the package puts it, whatever prefix the build had.
unit=$(dpkg-deb --fsys-tarfile "$agent" | tar -xO ./usr/lib/systemd/system/exitscope-agent.service)
grep -qx 'ExecStart=/usr/bin/exitscope-agent --stage systemd' <<<"$unit" || fail "the agent's unit does not start /usr/bin/exitscope-agent"
# Root in a guest that may be hostile: the unit's sandbox is rated by systemd itself (0 to 10, lower is
# tighter; 3.0 and below is "OK"). It was 9.4, "UNSAFE", with ProtectSystem and NoNewPrivileges alone.
unit_file=$(mktemp -d)/exitscope-agent.service
printf '%s\n' "$unit" >"$unit_file"
systemd-analyze security --offline=yes --no-pager "$unit_file" | tail -n 1
systemd-analyze security --offline=yes --threshold=30 "$unit_file" >/dev/null \
    || fail "the agent's unit is exposed beyond 3.0 (systemd-analyze security, above)"
rm -r "$(dirname "$unit_file")"
# The workbench depends on the libraries it links (dpkg-shlibdeps) and on Qt's SQLite driver.
depends=$(dpkg-deb -f "$workbench" Depends)
for lib in libqt6widgets6 libvirt0 libssh-4 libqcustomplot libqt6sql6-sqlite; do
    grep -q "$lib" <<<"$depends" || fail "exitscope does not depend on $lib (Depends: $depends)"
done
[[ -z $(dpkg-deb -f "$agent" Depends) ]] || fail "the static agent has dependencies: $(dpkg-deb -f "$agent" Depends)"
echo "ok: both packages hold what they must"

echo "== lintian"
lintian --fail-on error --display-level '>=warning' "$workbench" "$agent" 2>&1 | grep -v 'running with root privileges' \
    || true
lintian --fail-on error "$workbench" "$agent" >/dev/null 2>&1 || fail "lintian found errors (above)"
echo "ok: lintian finds no errors"

echo "== desktop-file-validate, appstreamcli validate"
desktop-file-validate "$src/resources/desktop/org.exitscope.ExitScope.desktop" || fail "desktop-file-validate"
appstreamcli validate --no-net --explain "$src/resources/desktop/org.exitscope.ExitScope.metainfo.xml" \
    || fail "appstreamcli validate"
# The MIME type's magic recognises a recording (xmllint is not needed: update-mime-database would
# refuse a malformed file; here the pattern is checked against the shipped recording's first bytes).
[[ $(head -c 3 "$src/resources/recordings/l2-boot-and-io.exs" | od -An -tx1 | tr -d ' \n') == e55801 ]] \
    || fail "the shipped recording does not start as the MIME magic says"
echo "ok: desktop entry and metainfo validate"
