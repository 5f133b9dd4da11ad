/*
 * validate.c: what spans jobs, and what the configuration needs from the
 * host.
 *
 * Across jobs: job and instance names are unique, after/before name jobs
 * that exist and form no cycle, a group's members exist and belong to no
 * other group.  From the host: users and groups exist, and the directories
 * of log and pid files exist.  Every error is reported; none stops the
 * others.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_int.h"
#include "value.h"
#include "xmalloc.h"

#define NAME_MAX_LEN	200
#define MAX_CYCLES	20	/* reported; a dense graph has many */

/* Job, group and process names end up in droverctl's NAME and group:NAME
 * arguments: no blanks, no ':' or '/' (as supervisord), no controls. */
int
validate_name(const char *name, char **why)
{
	const unsigned char	*p;

	if (*name == '\0') {
		*why = xstrdup("it is empty");
		return -1;
	}
	if (strlen(name) > NAME_MAX_LEN) {
		*why = xprintf("longer than %d bytes", NAME_MAX_LEN);
		return -1;
	}
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7f) {
			*why = xstrdup("it contains a blank or a control "
			    "character");
			return -1;
		}
		if (*p == ':' || *p == '/') {
			*why = xprintf("it contains '%c'", *p);
			return -1;
		}
	}
	return 0;
}

/* The directory of path must exist (checked once per entry of *seen). */
void
validate_dir(struct loader *ld, const struct rkey *k, const char *path,
    char ***seen)
{
	const char	*slash = strrchr(path, '/');
	struct stat	 st;
	char		*dir;

	if (slash == NULL)
		return;
	dir = slash == path ? xstrdup("/") :
	    xstrndup(path, (size_t)(slash - path));
	if (seen != NULL) {
		if (strv_contains(*seen, dir)) {
			free(dir);
			return;
		}
		strv_push(seen, dir);
	}
	if (stat(dir, &st) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			key_error(ld, k, "directory %s does not exist", dir);
		else
			key_error(ld, k, "cannot use directory %s: %s", dir,
			    strerror(errno));
	} else if (!S_ISDIR(st.st_mode))
		key_error(ld, k, "%s is not a directory", dir);
	free(dir);
}

static struct passwd *
user_lookup(const char *name)
{
	struct passwd	*pw;
	long		 n;

	if ((pw = getpwnam(name)) == NULL && value_int(name, 0, INT_MAX,
	    &n) == 0)
		pw = getpwuid((uid_t)n);
	return pw;
}

static struct group *
group_lookup(const char *name)
{
	struct group	*gr;
	long		 n;

	if ((gr = getgrnam(name)) == NULL && value_int(name, 0, INT_MAX,
	    &n) == 0)
		gr = getgrgid((gid_t)n);
	return gr;
}

/* user = NAME or NAME:GROUP, resolved now (a host fact); only root can
 * run a job as someone else. */
int
validate_user(struct loader *ld, const struct rkey *k, const char *spec,
    uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;
	struct group	*gr;
	char		*name = xstrdup(spec), *grp;
	int		 ret = -1;

	if ((grp = strchr(name, ':')) != NULL)
		*grp++ = '\0';
	if (*name == '\0' || (grp != NULL && *grp == '\0'))
		key_bad_value(ld, k, spec, "a user name, or user:group");
	else if ((pw = user_lookup(name)) == NULL)
		key_error(ld, k, "unknown user '%s'", name);
	else {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
		if (grp != NULL && (gr = group_lookup(grp)) == NULL)
			key_error(ld, k, "unknown group '%s'", grp);
		else if (!ld->env->is_root && *uid != geteuid())
			key_error(ld, k, "drover does not run as root, so it "
			    "cannot run jobs as '%s'", name);
		else {
			if (grp != NULL)
				*gid = gr->gr_gid;
			ret = 0;
		}
	}
	free(name);
	return ret;
}

/* --- names --------------------------------------------------------------- */

/* Job names are unique across kinds: [service:web] and [task:web] clash.
 * ld->jobnames holds the first job of each name. */
static void
check_job_names(struct loader *ld)
{
	struct job_config	**jobs = ld->conf->jobs, *a, *b;
	int			  i, j;

	for (i = 0; i < ld->conf->njobs; i++) {
		if ((j = names_find(ld->jobnames, jobs[i]->name)) == i)
			continue;
		a = jobs[j];
		b = jobs[i];
		diag_error(ld->diag, b->file, b->line, "duplicate job "
		    "name '%s' ([%s] at %s:%d)", b->name,
		    ld->meta[j].sect->header, a->file, a->line);
	}
}

struct procref {
	const char		*name;
	const struct job_config	*job;
	int			 order;
};

static int
procref_cmp(const void *va, const void *vb)
{
	const struct procref	*a = va, *b = vb;
	int			 c;

	if ((c = strcmp(a->name, b->name)) != 0)
		return c;
	return a->order - b->order;
}

/* Instance names are what droverctl addresses: unique across all jobs. */
static void
check_proc_names(struct loader *ld)
{
	struct procref	*v;
	size_t		 n = 0, i, first;
	int		 j, p;

	for (j = 0; j < ld->conf->njobs; j++)
		n += (size_t)ld->conf->jobs[j]->nprocs;
	v = xcalloc(n + 1, sizeof(*v));
	n = 0;
	for (j = 0; j < ld->conf->njobs; j++) {
		for (p = 0; p < ld->conf->jobs[j]->nprocs; p++) {
			v[n].name = ld->conf->jobs[j]->procs[p].name;
			v[n].job = ld->conf->jobs[j];
			v[n].order = (int)n;
			n++;
		}
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), procref_cmp);
	for (i = 1, first = 0; i < n; i++) {
		if (strcmp(v[i].name, v[first].name) != 0) {
			first = i;
			continue;
		}
		/* A duplicate job name was reported already. */
		if (strcmp(v[i].job->name, v[first].job->name) == 0)
			continue;
		diag_error(ld->diag, v[i].job->file, v[i].job->line,
		    "duplicate process name '%s' (also a process of '%s' at "
		    "%s:%d)", v[i].name, v[first].job->name, v[first].job->file,
		    v[first].job->line);
	}
	free(v);
}

/* --- dependencies -------------------------------------------------------- */

struct edge {
	int			 to;
	const struct rkey	*k;	/* where it was written */
};

struct graph {
	struct edge	**edges;	/* per job */
	int		 *nedges;
	int		  n;
};

static void
unknown_job(struct loader *ld, const struct rkey *k, const char *name)
{
	const char	**names, *s;
	int		  i;

	names = xcalloc((size_t)ld->conf->njobs + 1, sizeof(*names));
	for (i = 0; i < ld->conf->njobs; i++)
		names[i] = ld->conf->jobs[i]->name;
	if ((s = value_suggest(name, names)) != NULL)
		key_error(ld, k, "unknown job '%s'; did you mean '%s'?", name,
		    s);
	else
		key_error(ld, k, "unknown job '%s'", name);
	free(names);
}

static void
graph_add(struct graph *g, int from, int to, const struct rkey *k)
{
	g->edges[from] = xreallocarray(g->edges[from],
	    (size_t)g->nedges[from] + 1, sizeof(**g->edges));
	g->edges[from][g->nedges[from]].to = to;
	g->edges[from][g->nedges[from]++].k = k;
}

/* Edge a -> b: a starts after b (a names b in after, or b names a in
 * before). */
static void
graph_build(struct loader *ld, struct graph *g)
{
	const struct job_config	*job;
	int			 i, j, t;

	g->n = ld->conf->njobs;
	g->edges = xcalloc((size_t)g->n + 1, sizeof(*g->edges));
	g->nedges = xcalloc((size_t)g->n + 1, sizeof(*g->nedges));
	for (i = 0; i < g->n; i++) {
		job = ld->conf->jobs[i];
		for (j = 0; job->after != NULL && job->after[j] != NULL; j++) {
			if ((t = names_find(ld->jobnames, job->after[j])) == -1)
				unknown_job(ld, ld->meta[i].after,
				    job->after[j]);
			else
				graph_add(g, i, t, ld->meta[i].after);
		}
		for (j = 0; job->before != NULL && job->before[j] != NULL;
		    j++) {
			if ((t = names_find(ld->jobnames, job->before[j])) ==
			    -1)
				unknown_job(ld, ld->meta[i].before,
				    job->before[j]);
			else
				graph_add(g, t, i, ld->meta[i].before);
		}
	}
}

static void
graph_free(struct graph *g)
{
	int	i;

	for (i = 0; i < g->n; i++)
		free(g->edges[i]);
	free(g->edges);
	free(g->nedges);
}

/* "a -> b -> c -> a" from the DFS stack, starting where `to` is. */
static void
report_cycle(struct loader *ld, const int *stack, int depth, int to,
    const struct rkey *k)
{
	char	*s = NULL, *t;
	int	 i;

	for (i = 0; i < depth && stack[i] != to; i++)
		;
	for (; i < depth; i++) {
		t = xprintf("%s%s -> ", s != NULL ? s : "",
		    ld->conf->jobs[stack[i]]->name);
		free(s);
		s = t;
	}
	key_error(ld, k, "dependency cycle: %s%s", s != NULL ? s : "",
	    ld->conf->jobs[to]->name);
	free(s);
}

/* Iterative DFS (a long chain must not exhaust the C stack); each edge
 * back into the current path closes one cycle. */
static void
check_cycles(struct loader *ld, struct graph *g)
{
	int	*color, *stack, *next, depth, root, v, e, w, ncycles = 0;

	color = xcalloc((size_t)g->n + 1, sizeof(int));
	stack = xcalloc((size_t)g->n + 1, sizeof(int));
	next = xcalloc((size_t)g->n + 1, sizeof(int));
	for (root = 0; root < g->n; root++) {
		if (color[root] != 0)
			continue;
		depth = 0;
		stack[depth++] = root;
		color[root] = 1;
		next[root] = 0;
		while (depth > 0) {
			v = stack[depth - 1];
			if ((e = next[v]++) >= g->nedges[v]) {
				color[v] = 2;
				depth--;
				continue;
			}
			w = g->edges[v][e].to;
			if (color[w] == 1 && ncycles++ < MAX_CYCLES)
				report_cycle(ld, stack, depth, w,
				    g->edges[v][e].k);
			else if (color[w] == 0) {
				color[w] = 1;
				next[w] = 0;
				stack[depth++] = w;
			}
		}
	}
	free(color);
	free(stack);
	free(next);
}

/* --- groups -------------------------------------------------------------- */

static const struct rkey *
group_key(const struct rsect *s)
{
	const struct rkey	*k;

	if ((k = sect_key(s, "jobs")) == NULL)
		k = sect_key(s, "programs");
	return k;
}

/* One member of a group: a job, in no other group, and not one of the
 * members kept so far. */
static bool
check_member(struct loader *ld, struct group_config *g,
    const struct rkey *k, const char *m, struct names *kept)
{
	const struct job_config	*job;
	int			 i;

	if (names_find(kept, m) != -1) {
		key_error(ld, k, "'%s' is listed twice", m);
		return false;
	}
	if ((i = names_find(ld->jobnames, m)) == -1) {
		if (names_find(ld->notrun, m) != -1) {
			key_warn(ld, k, "'%s' is an "
			    "[fcgi-program], which drover does not run; left "
			    "out of [group:%s]", m, g->name);
			return false;
		}
		unknown_job(ld, k, m);
		return false;
	}
	job = ld->conf->jobs[i];
	if (job->group != NULL && strcmp(job->group, g->name) != 0) {
		key_error(ld, k, "job '%s' is already in [group:%s]; a job "
		    "belongs to one group at most", m, job->group);
		return false;
	}
	return true;
}

/* Members that are not jobs, or not to be run, leave the group. */
static void
check_groups(struct loader *ld)
{
	struct group_config	*g;
	const struct rkey	*k;
	struct names		*kept;
	int			 i, j, n;

	for (i = 0; i < ld->conf->ngroups; i++) {
		g = ld->conf->groups[i];
		if ((k = group_key(ld->groupsects[i])) == NULL)
			continue;
		kept = names_new(false);
		for (j = n = 0; g->jobs[j] != NULL; j++) {
			if (check_member(ld, g, k, g->jobs[j], kept)) {
				names_add(kept, g->jobs[j], n);
				g->jobs[n++] = g->jobs[j];
			} else
				free(g->jobs[j]);
		}
		g->jobs[n] = NULL;
		names_free(kept);
	}
}

void
validate_all(struct loader *ld)
{
	struct graph	g;

	check_job_names(ld);
	check_proc_names(ld);
	memset(&g, 0, sizeof(g));
	graph_build(ld, &g);
	check_cycles(ld, &g);
	graph_free(&g);
	check_groups(ld);
}
