/*
 * svc-idle [STAMPFILE]: the long-running workload ("sleep forever").
 *
 * Appends one 24-byte record "<monotonic ns, 20 digits> <pad>\n" to
 * STAMPFILE (O_APPEND, so concurrent instances never interleave), closes
 * it and sleeps in pause() until a signal with the default action (TERM)
 * ends it.  Without an argument it uses $BENCH_STAMP, else ../../stamps:
 * s6 and runit run ./run from the service directory WORK/x/NAME, so a run
 * file that is a symlink to this binary needs no shell and no argument.
 */
#include "bt.h"

#define REC 24

int
main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : getenv("BENCH_STAMP");
	char rec[REC + 1];
	int fd;

	if (path == NULL)
		path = "../../stamps";
	snprintf(rec, sizeof(rec), "%020lld  \n", (long long)bt_now());
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void)bt_write_all(fd, rec, REC);
		close(fd);
	}
	for (;;)
		pause();
}
