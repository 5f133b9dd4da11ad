/*
 * svc-crash [STAMPFILE]: the crash-loop workload (exits 1 at once).
 *
 * Takes a time stamp when it starts and another once its stamp file is
 * open, appends one record "PID START_NS END_NS\n" (fixed width, 55
 * bytes) to STAMPFILE and calls _exit(1), so END is a few microseconds
 * early.  Exit-to-respawn latency is the next record's START minus this
 * record's END.  The stamp file is found as by svc-idle.
 */
#include "bt.h"

int
main(int argc, char **argv)
{
	const char *path = getenv("BENCH_STAMP");
	int64_t start = bt_now(), end;
	char rec[64];
	int fd;

	/* s6 passes the service name: only a path (with a /) is a stamp file */
	if (argc > 1 && strchr(argv[1], '/') != NULL)
		path = argv[1];
	else if (path == NULL)
		path = "../../stamps";
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	end = bt_now();
	snprintf(rec, sizeof(rec), "%012ld %020lld %020lld\n", (long)getpid(),
	    (long long)start, (long long)end);
	if (fd >= 0)
		(void)bt_write_all(fd, rec, strlen(rec));
	_exit(1);
}
