#!/bin/sh
# daemonize.sh PIDFILE N: start N daemons the classic way (double fork,
# setsid, stdio on /dev/null), record their pids, and exit 0.
f=$1 n=${2:-1} i=0
while [ "$i" -lt "$n" ]; do
	( setsid sh -c 'echo $$ >> "$1"; exec sleep 1000' sh "$f" \
	    </dev/null >/dev/null 2>&1 & )
	i=$((i + 1))
done
# exit only once every daemon has recorded itself
while [ "$(cat "$f" 2>/dev/null | wc -l)" -lt "$n" ]; do sleep 0.01; done
exit 0
