/*
 * notifylisten SOCKET OUT [TIMEOUT_MS]: a NOTIFY_SOCKET for the supervisor.
 *
 * Binds a datagram socket at the path SOCKET and reads sd_notify(3)
 * messages as fast as they come (a slow reader would block the sender).
 * The time the first "READY=1" arrives goes to OUT at once, as
 * "ready=NS"; on SIGTERM/SIGINT or after TIMEOUT_MS (default 600000) OUT
 * is rewritten with the totals "ready=NS msgs=N status=N bytes=N" and the
 * program exits.
 */
#include "bt.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

static volatile sig_atomic_t stop;

static void
on_sig(int s)
{
	(void)s;
	stop = 1;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	struct sigaction sa;
	char buf[8192], text[256];
	long long ready = 0, msgs = 0, status = 0, bytes = 0;
	int64_t deadline;
	int fd, sz = 8 << 20;

	if (argc < 3) {
		fprintf(stderr, "usage: notifylisten SOCKET OUT [TIMEOUT_MS]\n");
		return 2;
	}
	deadline = bt_now() + (argc > 3 ? atoll(argv[3]) : 600000) * 1000000LL;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		bt_die("socket:");
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof(sun.sun_path))
		bt_die("socket path too long");
	strcpy(sun.sun_path, argv[1]);
	unlink(argv[1]);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		bt_die("bind %s:", argv[1]);
	while (!stop) {
		struct pollfd pf = { fd, POLLIN, 0 };
		int64_t now = bt_now();
		ssize_t n;

		if (now >= deadline)
			break;
		if (poll(&pf, 1, 100) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		now = bt_now();
		if (n < 0)
			continue;
		buf[n] = '\0';
		msgs++;
		bytes += n;
		if (strstr(buf, "STATUS=") != NULL)
			status++;
		if (ready == 0 && (strncmp(buf, "READY=1", 7) == 0 ||
		    strstr(buf, "\nREADY=1") != NULL)) {
			ready = now;
			snprintf(text, sizeof(text), "ready=%lld\n", ready);
			bt_put_file(argv[2], text);
		}
	}
	snprintf(text, sizeof(text), "ready=%lld msgs=%lld status=%lld "
	    "bytes=%lld\n", ready, msgs, status, bytes);
	bt_put_file(argv[2], text);
	unlink(argv[1]);
	return 0;
}
