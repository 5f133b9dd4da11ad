/*
 * fuzz_config.c: libFuzzer target for config_load().
 *
 * The input is the main configuration file, in a memfd, loaded through
 * /proc/self/fd/N; everything config_load() allocated is freed, so ASan's
 * leak check covers the error paths too.
 *
 * Inputs may include other files.  Nothing resolves against the working
 * directory (relative paths in a configuration are relative to the file,
 * here /proc/self/fd), so there is no need to chdir anywhere -- which would
 * also break libFuzzer's relative -dict, corpus and artifact paths, since
 * LLVMFuzzerInitialize() runs before they are used.  Includes only ever
 * read regular files, opened O_NONBLOCK: no pipe, tty or device is read,
 * and a /proc file that would block returns EAGAIN instead.  Inputs naming
 * /proc/kmsg are skipped anyway, as reading it consumes the kernel log.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static FILE	*devnull;	/* config_summary() writes here */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if ((devnull = fopen("/dev/null", "we")) == NULL) {
		perror("fuzz_config: /dev/null");
		abort();
	}
	setenv("FUZZ_CONFIG_ENV", "value", 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_env	 env = { true, "/run/drover.sock" };
	struct config		*conf;
	struct job_config	*job;
	struct diag		 d;
	char			 path[64];
	size_t			 off = 0;
	ssize_t			 n;
	int			 fd, i;

	if (memmem(data, size, "kmsg", 4) != NULL)
		return 0;
	if ((fd = memfd_create("fuzz_config", MFD_CLOEXEC)) == -1) {
		perror("memfd_create");
		abort();
	}
	while (off < size) {
		if ((n = write(fd, data + off, size - off)) <= 0) {
			perror("write");
			abort();
		}
		off += (size_t)n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	diag_init(&d);
	conf = config_load(path, &env, &d);
	diag_print(&d, devnull);
	if (conf != NULL) {
		config_summary(conf, devnull);
		for (i = 0; i < conf->njobs; i++) {
			job = conf->jobs[i];
			if (config_find_job(conf, job->name) == NULL ||
			    job_config_needs_restart(job, job) ||
			    (job->group != NULL &&
			    config_find_group(conf, job->group) == NULL))
				abort();
			(void)job_exitcode_expected(job, i);
		}
	}
	config_free(conf);
	diag_free(&d);
	close(fd);
	return 0;
}
