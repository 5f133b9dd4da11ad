/*
 * svc-idle [STAMPFILE]: the long-running workload ("sleep forever").
 *
 * Appends one 24-byte record "<monotonic ns, 20 digits>   \n" to
 * STAMPFILE (O_APPEND, so concurrent instances never interleave), closes
 * it and sleeps in pause() until a signal with the default action (TERM)
 * ends it.  An argument without a '/' is not a path (s6 passes the
 * service name); then the file is $BENCH_STAMP, else ../../stamps: s6 and
 * runit run ./run in the service directory WORK/x/NAME, so a run file that
 * is a symlink to this binary needs neither a shell nor an argument.
 */
#include "bt.h"

#define REC 24

int
main(int argc, char **argv)
{
	const char *path = getenv("BENCH_STAMP");
	char rec[REC + 1];
	int fd;

	/* s6 passes the service name: only a path (with a /) is a stamp file */
	if (argc > 1 && strchr(argv[1], '/') != NULL)
		path = argv[1];
	else if (path == NULL)
		path = "../../stamps";
	snprintf(rec, sizeof(rec), "%020lld   \n", (long long)bt_now());
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void)bt_write_all(fd, rec, REC);
		close(fd);
	}
	for (;;)
		pause();
}
