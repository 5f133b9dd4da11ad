#!/bin/sh
# fuzz/run.sh [SECONDS]: build every libFuzzer target with clang and run each
# for SECONDS (default 60) on its seed corpus.  Fails on any crash, leak or
# undefined behaviour.
set -eu
secs=${1:-60}
top=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_OUT:-$(mktemp -d /tmp/drover-fuzz.XXXXXX)}
CC=${CC_FUZZ:-clang}
FLAGS="-g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I$top/src -I$top/src/util -I$top/src/config -I$top/src/core -I$top/src/proc -I$top/src/ctl"
LIBS="$(pkg-config --cflags --libs libsystemd inih libevent)"
u=$top/src/util
common="$top/src/ctl/evlisten_proto.c $u/value.c $u/value_interp.c $u/strv.c $u/xmalloc.c $u/log.c $top/src/proc/outring.c $u/calendar.c"
cdir=$top/src/config
config="$cdir/config.c $cdir/config_util.c $cdir/config_sect.c $cdir/config_read.c $cdir/config_keys.c $cdir/config_job.c $cdir/config_jobkey.c $cdir/validate.c $cdir/config_http.c $cdir/config_hook.c $top/src/util/names.c"
JANSSON="$(pkg-config --cflags --libs jansson)"

build() {	# name sources...
	name=$1; shift
	$CC $FLAGS "$top/fuzz/$name.c" "$@" $LIBS -o "$out/$name"
}
run() {	# name: corpus fuzz/corpus/NAME, dictionary fuzz/NAME.dict if any
	name=$1
	dict="$top/fuzz/${name#fuzz_}.dict"
	mkdir -p "$out/corpus-$name"
	echo "fuzz: $name for ${secs}s"
	if [ -f "$dict" ]; then set -- "-dict=$dict"; else set --; fi
	"$out/$name" -max_total_time="$secs" -print_final_stats=1 "$@" \
	    "$out/corpus-$name" "$top/fuzz/corpus/${name#fuzz_}" 2>"$out/$name.log" ||
	    { tail -50 "$out/$name.log"; exit 1; }
	grep -E '^stat::number_of_executed_units|Done [0-9]+ runs' "$out/$name.log" | tail -1
}

build fuzz_argv $common
run fuzz_argv
if [ -f "$top/fuzz/fuzz_config.c" ]; then
	build fuzz_config $common $config
	run fuzz_config
fi
build fuzz_control $common "$top/src/ctl/control_proto.c" $JANSSON
run fuzz_control
build fuzz_notify $common "$top/src/ctl/notify_proto.c"
run fuzz_notify
build fuzz_calendar $common
run fuzz_calendar
build fuzz_evlisten $common
run fuzz_evlisten
# the XML-RPC request path runs through the whole daemon but main()
all=$(find "$top/src" -name '*.c' ! -name main.c ! -name 'droverctl*.c' | sort)
# (the status page's assets, which make generates, for page.c)
sh "$top/src/ctl/embed.sh" "$top/src/ctl/page.html" "$top/src/ctl/page.css" \
    "$top/src/ctl/page.js" > "$out/page_assets.h"
build fuzz_rpc $all -I"$out" -DPACKAGE_VERSION='"fuzz"' \
    -DDROVER_SYSCONFDIR='"/etc"' -DDROVER_RUNSTATEDIR='"/run"' \
    -DDROVER_LOCALSTATEDIR='"/var"' \
    $(pkg-config --cflags --libs libevent jansson nettle) \
    -lxmlrpc_server -lxmlrpc -lxmlrpc_xmlparse -lxmlrpc_xmltok -lxmlrpc_util
run fuzz_rpc
build fuzz_capture "$top/src/proc/capture.c" $u/xmalloc.c $u/log.c \
    "$top/src/proc/outring.c"
run fuzz_capture
# the status page's cleaning of job output (page.c, which needs the rest)
build fuzz_page $all -I"$out" -DPACKAGE_VERSION='"fuzz"' \
    -DDROVER_SYSCONFDIR='"/etc"' -DDROVER_RUNSTATEDIR='"/run"' \
    -DDROVER_LOCALSTATEDIR='"/var"' \
    $(pkg-config --cflags --libs libevent jansson nettle) \
    -lxmlrpc_server -lxmlrpc -lxmlrpc_xmlparse -lxmlrpc_xmltok -lxmlrpc_util
run fuzz_page
# the Host rule of a TCP server without a username (http.c)
build fuzz_http "$top/src/ctl/http.c" $u/xmalloc.c $u/log.c \
    "$top/src/proc/outring.c" $(pkg-config --cflags --libs libevent nettle)
run fuzz_http
