#!/bin/sh
# ignore-term.sh PIDFILE: a job that ignores SIGTERM.
trap '' TERM
echo $$ > "$1.tmp" && mv "$1.tmp" "$1"
while :; do sleep 1; done
