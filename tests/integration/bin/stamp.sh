#!/bin/sh
# stamp.sh FILE NAME SECONDS [EXIT]: log start/end with nanosecond times.
f=$1 n=$2 s=$3 rc=${4:-0}
echo "start $n $(date +%s%N)" >> "$f"
sleep "$s"
echo "end $n $(date +%s%N)" >> "$f"
exit "$rc"
