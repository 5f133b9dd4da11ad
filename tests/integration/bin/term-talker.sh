#!/bin/sh
# term-talker.sh READYFILE: print lines from the TERM handler, then exit.
trap 'echo "got TERM, cleaning up"; echo "bye from TERM handler"; exit 0' TERM
echo ready > "$1"
while :; do sleep 0.1; done
