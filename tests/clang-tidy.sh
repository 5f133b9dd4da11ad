#!/bin/sh
# tests/clang-tidy.sh [FILE...]: clang-tidy (.clang-tidy at the top) over
# src/**/*.c with drover's compile flags; findings listed in
# tests/clang-tidy-suppressions.txt are ignored, any other fails (exit 1).
# No clang-tidy: skip (77).  CLANG_TIDY=clang-tidy-15 picks another one;
# JOBS=N runs N at once (default: the number of CPUs).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
tidy=${CLANG_TIDY:-clang-tidy}
command -v "$tidy" >/dev/null 2>&1 || { echo "SKIP: no $tidy"; exit 77; }
cd "$top" || exit 1
flags="$(pkg-config --cflags libevent libsystemd inih jansson 2>/dev/null)"
flags="$flags -Isrc -Isrc/util -Isrc/config -Isrc/core -Isrc/proc -Isrc/ctl"
flags="$flags -D_GNU_SOURCE -std=gnu11 -DPACKAGE_VERSION=\"0\" -DDROVER_LOCALSTATEDIR=\"/var\""
[ $# -gt 0 ] || set -- src/*.c src/*/*.c
nfiles=$#
supp=${TIDY_SUPPRESSIONS:-tests/clang-tidy-suppressions.txt}
dir=$(mktemp -d /tmp/drover-tidy.XXXXXX)
out=$dir/all
trap 'rm -rf "$dir"' EXIT
export tidy flags dir
printf '%s\n' "$@" | xargs -P "${JOBS:-$(nproc)}" -I{} sh -c \
    '"$tidy" --quiet "$1" -- $flags >"$dir/$(basename "$1").txt" 2>&1' sh {}
cat "$dir"/*.txt >"$out"
# keep "FILE:LINE:COL: warning|error: MESSAGE [CHECK,...]" lines, relative
sed -n "s|^$top/||; /^[^ ]*:[0-9]*:[0-9]*: \(warning\|error\): /p" "$out" |
    sort -u >"$out.f"
tab=$(printf '\t')
status=0
while IFS= read -r f; do
	file=${f%%:*}
	msg=${f#*: *: }
	checks=$(printf '%s\n' "$f" | sed -n 's/.*\[\([^]]*\)\]$/\1/p')
	txt="$dir/$(basename "$file").txt"
	# the source line clang-tidy quotes under the finding
	code=$(grep -h -A1 -F "$top/$f" "$txt" | sed -n 2p)
	ignored=no
	while IFS=$tab read -r sglob scheck srx scode; do
		case $sglob in ''|'#'*) continue ;; esac
		# shellcheck disable=SC2254
		case $file in $sglob) ;; *) continue ;; esac
		case ",$checks," in *",$scheck,"*) ;; *) continue ;; esac
		printf '%s\n' "$msg" | grep -Eq -- "$srx" || continue
		if [ -n "$scode" ]; then
			printf '%s\n' "$code" | grep -Eq -- "$scode" || continue
		fi
		ignored=yes
		break
	done <"$supp"
	if [ $ignored = no ]; then
		echo "$f"
		grep -h -A12 -F "$top/$f" "$txt" | sed -n '2,13p' |
		    grep -v "^$top" | head -6
		status=1
	fi
done <"$out.f"
if grep -q "clang-diagnostic-error\|error: unable to\|fatal error:" "$out"; then
	grep "clang-diagnostic-error\|fatal error:" "$out" | head
	status=1
fi
[ $status -eq 0 ] && echo "clang-tidy: $nfiles files clean"
exit $status
