/*
 * waitfile FILE BYTES TIMEOUT_MS: wait until FILE holds at least BYTES.
 *
 * Polls the size every 2 ms (one stat, no /proc scan, nothing that would
 * compete with the supervisor for the CPU).  Prints the size reached;
 * exits 0 when BYTES was reached, 1 on timeout.
 */
#include "bt.h"

#include <sys/stat.h>

int
main(int argc, char **argv)
{
	struct stat st;
	long long want, size = 0;
	int64_t deadline;
	struct timespec nap = { 0, 2000000 };

	if (argc != 4) {
		fprintf(stderr, "usage: waitfile FILE BYTES TIMEOUT_MS\n");
		return 2;
	}
	want = atoll(argv[2]);
	deadline = bt_now() + atoll(argv[3]) * 1000000LL;
	for (;;) {
		if (stat(argv[1], &st) == 0)
			size = (long long)st.st_size;
		if (size >= want) {
			printf("%lld\n", size);
			return 0;
		}
		if (bt_now() > deadline) {
			printf("%lld\n", size);
			return 1;
		}
		nanosleep(&nap, NULL);
	}
}
