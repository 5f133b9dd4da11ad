#!/bin/sh
# escape.sh PIDFILE: leave a grandchild behind in a session of its own.
setsid sh -c 'trap "" TERM HUP; echo $$ > "$1.tmp"; mv "$1.tmp" "$1"; exec sleep 1000' sh "$1" </dev/null >/dev/null 2>&1 &
exec sleep 1000
