/*
 * pacct [-x EXE]... [-m PID] [-v] [-l|-L]: account a set of processes.
 *
 * Reads pids (one per line) on stdin, leaves out those whose /proc/PID/exe
 * is one of the -x paths (the workload), and sums over the rest:
 *   n        processes counted          work_n  processes left out
 *   pss_kb   Pss from smaps_rollup (shared pages split between sharers:
 *            the honest total of a tree)
 *   rss_kb   Rss from smaps_rollup (counts shared libc pages once per
 *            process)
 *   fds      entries in /proc/PID/fd
 *   vcsw, ivcsw  voluntary and involuntary context switches (status)
 *   cpu_ns   time on the CPU (first field of /proc/PID/schedstat)
 * and the same for the -m PID alone as main_*; for the workload it sums
 * FDSize (the slots of each process's fd table, 8 bytes of kernel memory
 * each) as work_fdslots.  -v adds one line per
 * process; -l prints only the pids that were counted, one per line, -L
 * only those left out (the workload).
 * Processes that vanish while being read are skipped.
 */
#include "bt.h"

#include <dirent.h>
#include <limits.h>

#define MAXX 8

struct acct {
	long long n, pss, rss, fds, vcsw, ivcsw, cpu;
};

static long long
field(const char *path, const char *key)
{
	char line[256];
	size_t kl = strlen(key);
	long long v = -1;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, kl) == 0) {
			v = atoll(line + kl);
			break;
		}
	fclose(f);
	return v;
}

static int
one(long pid, struct acct *a, char *comm, size_t csz)
{
	char path[128], buf[256];
	long long pss, rss, v, iv, cpu = 0, fds = 0;
	DIR *d;
	struct dirent *de;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", pid);
	pss = field(path, "Pss:");
	rss = field(path, "Rss:");
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	v = field(path, "voluntary_ctxt_switches:");
	iv = field(path, "nonvoluntary_ctxt_switches:");
	if (v < 0 || iv < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/schedstat", pid);
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL)
			cpu = atoll(buf);
		fclose(f);
	}
	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				fds++;
		closedir(d);
	}
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	comm[0] = '\0';
	if ((f = fopen(path, "re")) != NULL) {
		if (fgets(comm, (int)csz, f) != NULL)
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	a->n++;
	a->pss += pss > 0 ? pss : 0;	/* kernel threads have none */
	a->rss += rss > 0 ? rss : 0;
	a->fds += fds;
	a->vcsw += v;
	a->ivcsw += iv;
	a->cpu += cpu;
	return 0;
}

static void
print(const char *pre, const struct acct *a)
{
	printf("%sn=%lld %spss_kb=%lld %srss_kb=%lld %sfds=%lld %svcsw=%lld "
	    "%sivcsw=%lld %scpu_ns=%lld", pre, a->n, pre, a->pss, pre, a->rss,
	    pre, a->fds, pre, a->vcsw, pre, a->ivcsw, pre, a->cpu);
}

int
main(int argc, char **argv)
{
	const char *excl[MAXX];
	int nx = 0, verbose = 0, list = 0, wlist = 0, opt, i;
	long mainpid = 0, pid, work = 0;
	long long fdslots = 0;
	struct acct all = { 0 }, m = { 0 };
	char line[64], path[64], exe[PATH_MAX], comm[64];

	while ((opt = getopt(argc, argv, "x:m:vlL")) != -1) {
		switch (opt) {
		case 'x':
			if (nx == MAXX)
				bt_die("too many -x");
			excl[nx++] = optarg;
			break;
		case 'm': mainpid = atol(optarg); break;
		case 'v': verbose = 1; break;
		case 'l': list = 1; break;
		case 'L': wlist = 1; break;
		default:
			fprintf(stderr, "usage: pacct [-x EXE]... [-m PID] [-v] [-l|-L] "
			    "< pids\n");
			return 2;
		}
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		if ((pid = atol(line)) <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
		ssize_t l = readlink(path, exe, sizeof(exe) - 1);
		exe[l > 0 ? l : 0] = '\0';
		for (i = 0; i < nx; i++)
			if (strcmp(exe, excl[i]) == 0)
				break;
		if (i < nx) {
			work++;
			if (wlist) {
				printf("%ld\n", pid);
			} else if (!list) {
				snprintf(path, sizeof(path), "/proc/%ld/status", pid);
				long long fs = field(path, "FDSize:");
				fdslots += fs > 0 ? fs : 0;
			}
			continue;
		}
		if (wlist)
			continue;
		struct acct one_a = { 0 };
		if (one(pid, &one_a, comm, sizeof(comm)) < 0)
			continue;
		all.n += one_a.n; all.pss += one_a.pss; all.rss += one_a.rss;
		all.fds += one_a.fds; all.vcsw += one_a.vcsw;
		all.ivcsw += one_a.ivcsw; all.cpu += one_a.cpu;
		if (pid == mainpid)
			m = one_a;
		if (list)
			printf("%ld\n", pid);
		else if (verbose)
			printf("pid=%ld comm=%s pss_kb=%lld fds=%lld vcsw=%lld "
			    "ivcsw=%lld\n", pid, comm, one_a.pss, one_a.fds,
			    one_a.vcsw, one_a.ivcsw);
	}
	if (list || wlist)
		return 0;
	print("", &all);
	printf(" work_n=%ld work_fdslots=%lld ", work, fdslots);
	print("main_", &m);
	putchar('\n');
	return 0;
}
