#!/bin/sh
# tests/skipped.sh: after `make check`, say what was skipped and why.
#
# automake counts the test programs that exited 77 but does not say why, and
# a program that ran can still have skipped some of its cases.  This reads
# each test's .trs and .log: a skipped program's reason is its "SKIP: ..."
# line, a skipped unittest case is "name ... skipped 'reason'".
# Usage: skipped.sh LOG...   (the tests' .log files; .trs beside each)
progs=0 cases=0 out=
for log in "$@"; do
	trs=${log%.log}.trs
	[ -f "$log" ] || continue
	name=${log%.log}
	if grep -q '^:test-result: SKIP' "$trs" 2>/dev/null; then
		progs=$((progs + 1))
		why=$(sed -n 's/^.*SKIP: //p' "$log" | head -n 1)
		out="$out  $name: ${why:-no reason given}
"
		continue
	fi
	n=$(grep -c "\.\.\. skipped '" "$log")
	[ "$n" -gt 0 ] || continue
	cases=$((cases + n))
	out="$out$(awk -v n="$name" -v q="'" '
		/\.\.\. skipped / {
			why = $0; sub(/^.*\.\.\. skipped /, "", why); gsub(q, "", why)
			printf "  %s: %s: %s\n", n, $1, why
		}' "$log")
"
done
if [ $progs -eq 0 ] && [ $cases -eq 0 ]; then
	echo "Nothing skipped."
	exit 0
fi
echo "Skipped: $progs test programs, $cases test cases in programs that ran:"
printf '%s' "$out"
