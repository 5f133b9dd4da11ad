#!/bin/bash
# Every shell script of the project parses.  A quote left open in .ci/run
# once failed CI after the rootfs step, 4 minutes in; bash -n finds it in
# milliseconds.
set -u
src=${DROVER_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}

# self-test: the check must see a planted error
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
printf '#!/bin/bash\necho "open\n' >"$tmp/broken"
if bash -n "$tmp/broken" 2>/dev/null; then
	echo "self-test: bash -n accepted an unterminated quote"; exit 99
fi

n=0 bad=0
while IFS= read -r -d '' f; do
	head -c 64 "$f" | head -n 1 | grep -qE '^#!(/usr/bin/env )?(/bin/|/usr/bin/)?(ba)?sh' || continue
	n=$((n + 1))
	if ! out=$(bash -n "$f" 2>&1); then
		echo "FAIL: ${f#"$src"/}: $out"; bad=$((bad + 1))
	fi
done < <(find "$src" \( -name .git -o -name .cache -o -name '_build*' -o -name 'drover-[0-9]*' \) -prune -o \
	-type f \( -name '*.sh' -o -path '*/.ci/run' -o -path '*/bench/run' -o -name bootstrap \) -print0)

# the tree has some 28 scripts (a tarball fewer); finding none is a broken check
if [ "$n" -lt 10 ]; then echo "only $n scripts found under $src"; exit 99; fi
echo "$n scripts, $bad with a syntax error"
[ "$bad" -eq 0 ]
