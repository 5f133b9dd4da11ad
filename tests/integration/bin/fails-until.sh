#!/bin/sh
# fails-until.sh COUNTFILE N: fail until the N-th run, then succeed.
n=$(cat "$1" 2>/dev/null || echo 0)
n=$((n + 1))
echo $n > "$1"
echo "run $n"
[ "$n" -ge "$2" ]
