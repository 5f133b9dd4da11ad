#!/bin/sh
# tests/cppcheck.sh: cppcheck over src/, warnings, performance and
# portability; any finding fails (exit 1), no cppcheck skips (77).
# False positives go to tests/cppcheck-suppressions.xml (id, file, symbol,
# and why), or inline: /* cppcheck-suppress ID */ on the line before.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
command -v cppcheck >/dev/null 2>&1 || { echo "SKIP: no cppcheck"; exit 77; }
cd "$top" || exit 1
# cppcheck reads no system header unless told: pull in the two whose
# macros drover's code is written with (TAILQ_*, json_*_foreach)
inc=
for h in sys/queue.h jansson.h; do
	for d in /usr/include /usr/include/x86_64-linux-gnu \
	    /usr/include/$(gcc -dumpmachine 2>/dev/null); do
		if [ -f "$d/$h" ]; then
			inc="$inc --include=$d/$h"
			break
		fi
	done
done
# shellcheck disable=SC2086
exec cppcheck --enable=warning,performance,portability --std=c11 \
    --error-exitcode=1 --inline-suppr --quiet \
    --suppress-xml=tests/cppcheck-suppressions.xml \
    -D_GNU_SOURCE -DPACKAGE_VERSION='"0"' -Isrc -Isrc/util -Isrc/config -Isrc/core -Isrc/proc \
    -Isrc/ctl $inc \
    --template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
    src/
