#!/bin/sh
# rec.sh PIDFILE CMD [ARG...]: append our pid to PIDFILE, then exec CMD
# (the reliability tests account for every process a job starts).
f=$1
shift
echo $$ >> "$f"
exec "$@"
