#!/bin/sh
# holdout.sh PIDFILE: leave a background process that holds our stdout and
# stderr open (sh -c '(sleep 1000 &); exit 0'), record its pid, exit 0.
( sh -c 'echo $$ >> "$1"; exec sleep 1000' sh "$1" & )
while [ ! -s "$1" ]; do sleep 0.01; done
echo "main process exiting, leaving a child behind"
exit 0
