#!/bin/bash
# tests/package/run.sh: the Debian package where users run it.
#
# Builds the package of COMMIT (default HEAD) and a newer one (version
# +test1), both lintian-clean (build.sh), boots a Debian 12 container with
# systemd as PID 1 (tests/container/ct.sh; its rootfs holds the package's
# runtime dependencies, so apt-get needs no network in there), and runs
# inside.sh: install, enabled and running, jobs, upgrade, purge.
# Exit 77 (SKIP) without root or the tools; usage: run.sh [COMMIT]
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
COMMIT=${1:-HEAD}
skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (systemd-nspawn)"
for t in dpkg-buildpackage dh lintian systemd-nspawn mmdebstrap; do
	command -v $t >/dev/null || skip "no $t"
done
CT="bash $TOP/tests/container/ct.sh"
WORK=$(mktemp -d /var/tmp/drover-pkg.XXXXXX)
ROOT=$WORK/root
trap '$CT teardown "$ROOT" >/dev/null 2>&1; rm -rf "$WORK"' EXIT
t0=$SECONDS

base=$(git -C "$TOP" show "$COMMIT:debian/changelog" | sed -n '1s/^drover (\([^)]*\)).*/\1/p')
bash "$HERE/build.sh" "$WORK/old" "$COMMIT" || exit 1
bash "$HERE/build.sh" "$WORK/new" "$COMMIT" "$base+test1" || exit 1
echo "# packages built in $((SECONDS - t0)) s"

# the runtime dependencies of the package, from its own Depends
deps=$(dpkg-deb -f "$WORK"/old/drover_*.deb Depends | tr ',' '\n' |
	sed 's/(.*)//; s/|.*//; s/ //g' | grep . | paste -sd, -)
$CT rootfs "$ROOT" --boot --include "$deps" >"$WORK/rootfs.log" 2>&1 ||
	{ cat "$WORK/rootfs.log"; exit 1; }
cp "$WORK"/old/drover_*.deb "$ROOT/root/old.deb"
cp "$WORK"/new/drover_*.deb "$ROOT/root/new.deb"
install -m 0755 "$HERE/inside.sh" "$ROOT/usr/local/bin/drover-package-check"
$CT boot "$ROOT" || exit 1
echo "# container booted at $((SECONDS - t0)) s"
rc=0
$CT exec "$ROOT" /usr/local/bin/drover-package-check || rc=1
echo "# package test done in $((SECONDS - t0)) s"
exit $rc
