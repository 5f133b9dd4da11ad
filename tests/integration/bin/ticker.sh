#!/bin/sh
# ticker.sh PROGRESSFILE: print a numbered line every 50ms forever and
# write the last number to PROGRESSFILE (proof that we are not blocked).
i=0
while :; do
	i=$((i + 1))
	echo "tick $i"
	echo "$i" > "$1"
	sleep 0.05
done
