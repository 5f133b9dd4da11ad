/*
 * fuzz_rpc.c: libFuzzer target for the XML-RPC request path: a request
 * body through xmlrpc-c's registry into drover's methods (src/ctl/rpc.c,
 * rpc_proc.c), over a real job table whose system side is faked (no
 * process is spawned or signalled).
 *
 * Besides ASan/UBSan findings it checks that every body gets an answer,
 * a methodResponse, as a fault or a value.
 *
 *	sh fuzz/run.sh 60	(builds it with the sources it needs)
 */
#include <signal.h>
#include <syslog.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "bus.h"
#include "config.h"
#include "drover.h"
#include "log.h"
#include "rpc.h"

#define CHECK(x)	do { if (!(x)) abort(); } while (0)

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct drover	 d;
static struct rpc	*rpc;
static pid_t		 nextpid = 1000;
static int64_t		 clock_ms = 1000000;

static int
fake_spawn(struct instance *in, char *err, size_t errsz)
{
	(void)err;
	(void)errsz;
	in->pid = nextpid++;
	in->rflags = RUN_ACTIVE;
	in->run_start = clock_ms;
	in->d->d_nactive++;
	return 0;
}

static void
fake_kill(struct instance *in, int sig, bool tree)
{
	(void)in;
	(void)sig;
	(void)tree;
}

static bool
fake_tree_empty(struct instance *in)
{
	(void)in;
	return true;
}

static void
fake_release(struct instance *in)
{
	in->d->d_nactive--;
}

static void
fake_arm(struct instance *in)
{
	(void)in;
}

static int64_t
fake_now(void)
{
	return clock_ms;
}

static uint32_t
fake_random(void)
{
	return 12345;
}

static const struct engine_ops fake_ops = {
	.spawn = fake_spawn, .kill = fake_kill, .tree_empty = fake_tree_empty,
	.release = fake_release, .arm = fake_arm,
	.now = fake_now, .wallclock = fake_now, .random = fake_random,
};

static const char conf_text[] =
    "[program:web]\ncommand = /bin/true\nstartsecs = 0\n"
    "[program:worker]\ncommand = /bin/true\nnumprocs = 2\n"
    "process_name = %(program_name)s_%(process_num)d\n"
    "[program:a]\ncommand = /bin/true\n[program:b]\ncommand = /bin/true\n"
    "[group:pair]\nprograms = a, b\n"
    "[task:job]\ncommand = /bin/true\nautostart = false\n";

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char		 path[] = "/tmp/drover-fuzz-rpc.XXXXXX";
	struct config_env	 env;
	struct diag		 dg;
	struct config		*conf;
	int			 fd;

	(void)argc;
	(void)argv;
	log_init(LOG_CRIT, false);
	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, conf_text, strlen(conf_text)) != (ssize_t)strlen(conf_text))
		abort();
	close(fd);
	config_env_default(&env);
	diag_init(&dg);
	if ((conf = config_load(path, &env, &dg)) == NULL)
		abort();
	diag_free(&dg);
	d.d_base = event_base_new();
	d.d_confpath = path;
	engine_init(&d, &fake_ops);
	conductor_init(&d);
	engine_load(&d, conf);
	engine_autostart(&d);
	rpc = rpc_new(&d);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct evbuffer	*out = evbuffer_new();
	const char	*s;
	size_t		 n;

	CHECK(out != NULL);
	rpc_process(rpc, (const char *)data, len, out);
	n = evbuffer_get_length(out);
	s = (const char *)evbuffer_pullup(out, -1);
	CHECK(n > 0 && memmem(s, n, "<methodResponse>", 16) != NULL);
	evbuffer_free(out);
	clock_ms += 10;
	return 0;
}
