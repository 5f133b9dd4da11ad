#!/bin/bash
# tests/package/build.sh: build drover's Debian packages from a commit and
# check them with lintian.
#   build.sh OUTDIR [COMMIT] [VERSION]
# A `git archive` of COMMIT (default HEAD) is unpacked in a temporary
# directory; with VERSION, a changelog entry for it is added first (the
# upgrade test builds a second, newer package that way).  Builds the source
# package (.dsc) and the binary package (.deb) with dpkg-buildpackage, runs
# lintian on both (any error or warning fails), and leaves them in OUTDIR.
set -euo pipefail

OUT=$(realpath -m -- "${1:?usage: build.sh OUTDIR [COMMIT] [VERSION]}")
COMMIT=${2:-HEAD}
VERSION=${3:-}
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TMP=$(mktemp -d /var/tmp/drover-deb.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

mkdir -p "$OUT" "$TMP/drover"
git -C "$TOP" archive --format=tar "$COMMIT" | tar -C "$TMP/drover" -x
cd "$TMP/drover"
if [ -n "$VERSION" ]; then
	# a changelog entry for VERSION on top, as dch would write it
	who=$(sed -n 's/^Maintainer: //p' debian/control)
	{ printf 'drover (%s) unstable; urgency=medium\n\n  * Test build %s.\n\n -- %s  %s\n\n' \
	    "$VERSION" "$VERSION" "$who" "$(date -R)"; cat debian/changelog; } >debian/changelog.new
	mv debian/changelog.new debian/changelog
fi
dpkg-buildpackage -us -uc -S -d >"$TMP/source.log" 2>&1 ||
	{ tail -30 "$TMP/source.log"; exit 1; }
dpkg-buildpackage -us -uc -b >"$TMP/binary.log" 2>&1 ||
	{ tail -60 "$TMP/binary.log"; exit 1; }
cd "$TMP"
rc=0
for f in drover_*.dsc drover_*.deb; do
	out=$(lintian --fail-on error,warning --info "$f" 2>&1) || rc=1
	[ -z "$out" ] || printf '%s\n' "$out" | sed "s|^|lintian $f: |"
done
[ $rc -eq 0 ] || { echo "lintian reports errors or warnings"; exit 1; }
cp drover_*.dsc drover_*.tar.* drover_*.deb drover_*.buildinfo drover_*.changes "$OUT"/
echo "built and lintian-clean: $(cd "$OUT" && ls drover_*.deb drover_*.dsc | tr '\n' ' ')"
