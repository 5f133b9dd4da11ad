/*
 * config.c: config_load() and the public configuration API.
 *
 * config_load() runs the phases described in config_int.h over a private
 * struct loader: the top of config/.  What the phases share is below them:
 * sections and keys as read in config_sect.c, diagnostics, key lookup and
 * %(name)s interpolation in config_util.c.
 */
#include <sys/utsname.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_int.h"
#include "log.h"
#include "value.h"
#include "xmalloc.h"

#ifndef DROVER_RUNSTATEDIR
#define DROVER_RUNSTATEDIR "/run"
#endif

/* --- loading ------------------------------------------------------------- */

/* Everything but the config, which config_load() hands out or frees. */
static void
loader_free(struct loader *ld)
{
	struct rsect	*s;
	int		 i, j;

	for (i = 0; i < ld->nsects; i++) {
		s = ld->sects[i];
		for (j = 0; j < s->nkeys; j++) {
			free(s->keys[j].key);
			free(s->keys[j].value);
		}
		free(s->keys);
		free(s->header);
		free(s->name);
		free(s);
	}
	free(ld->sects);
	for (i = 0; i < ld->nfiles; i++) {
		free(ld->files[i]->path);
		free(ld->files[i]->dir);
		free(ld->files[i]);
	}
	free(ld->files);
	free(ld->chain);
	free(ld->nodename);
	free(ld->meta);
	free(ld->groupsects);
	free(ld->inclsects);
	names_free(ld->notrun);
	names_free(ld->sectnames);
	names_free(ld->jobnames);
}

static struct config *
config_new(const char *path, const struct config_env *env)
{
	struct config	*conf = xcalloc(1, sizeof(*conf));

	conf->path = xstrdup(path);
	conf->shutdown_timeout = 30 * 1000;
	conf->socket = env->default_socket != NULL ?
	    xstrdup(env->default_socket) : NULL;
	conf->socket_mode = 0600;
	conf->log_level = -1;
	return conf;
}

/* Reads, builds, validates; see config_int.h for the phases. */
struct config *
config_load(const char *path, const struct config_env *env,
    struct diag *diag)
{
	struct config_env	 defenv;
	struct loader		 ld;
	struct utsname		 u;
	struct config		*conf;
	int			 nerrors0 = diag->nerrors;

	if (env == NULL) {
		config_env_default(&defenv);
		env = &defenv;
	}
	memset(&ld, 0, sizeof(ld));
	ld.env = env;
	ld.diag = diag;
	ld.conf = conf = config_new(path, env);
	ld.nodename = xstrdup(uname(&u) == 0 ? u.nodename : "localhost");
	ld.notrun = names_new(true);
	ld.sectnames = names_new(false);
	ld.jobnames = names_new(false);

	read_main(&ld, path);
	keys_build_drover(&ld);
	http_build(&ld);
	keys_build_groups(&ld);
	job_build_all(&ld);
	validate_all(&ld);
	if (conf->njobs == 0 && diag->nerrors == nerrors0)
		diag_warn(diag, path, 0, "no jobs defined");
	loader_free(&ld);
	if (diag->nerrors > nerrors0) {
		config_free(conf);
		return NULL;
	}
	return conf;
}

/* NULL is fine, as for free(). */
void
config_free(struct config *conf)
{
	int	i;

	if (conf == NULL)
		return;
	for (i = 0; i < conf->njobs; i++)
		job_config_free(conf->jobs[i]);
	free(conf->jobs);
	for (i = 0; i < conf->ngroups; i++) {
		free(conf->groups[i]->name);
		strv_free(conf->groups[i]->jobs);
		free(conf->groups[i]->file);
		free(conf->groups[i]);
	}
	free(conf->groups);
	free(conf->path);
	free(conf->socket);
	free(conf->socket_group);
	free(conf->http_unix.path);
	free(conf->http_unix.file);
	free(conf->http_inet.file);
	free(conf->http_unix.username);
	free(conf->http_unix.password);
	free(conf->http_inet.host);
	free(conf->http_inet.username);
	free(conf->http_inet.password);
	free(conf->pidfile);
	free(conf->state_file);
	strv_free(conf->environment);
	free(conf);
}

/*
 * The default socket depends on who runs drover.  The non-root path is
 * built at run time, so it lives in a static buffer: set once at start-up,
 * never changed after (the one piece of file-static state here).
 */
void
config_env_default(struct config_env *env)
{
	static char	 buf[108];
	const char	*xdg = getenv("XDG_RUNTIME_DIR");
	int		 n;

	memset(env, 0, sizeof(*env));
	env->is_root = geteuid() == 0;
	if (env->is_root) {
		env->default_socket = DROVER_RUNSTATEDIR "/drover.sock";
		return;
	}
	n = -1;
	if (xdg != NULL && *xdg == '/')
		n = snprintf(buf, sizeof(buf), "%s/drover.sock", xdg);
	if (n < 0 || (size_t)n >= sizeof(buf))
		snprintf(buf, sizeof(buf), "/tmp/drover-%u.sock",
		    (unsigned)geteuid());
	env->default_socket = buf;
}

/* --- queries ------------------------------------------------------------- */

const char *
job_kind_name(enum job_kind kind)
{
	switch (kind) {
	case JOB_SERVICE:
		return "service";
	case JOB_TASK:
		return "task";
	case JOB_CLEANUP:
		return "cleanup";
	}
	return "?";
}

struct job_config *
config_find_job(const struct config *conf, const char *name)
{
	int	i;

	for (i = 0; i < conf->njobs; i++) {
		if (strcmp(conf->jobs[i]->name, name) == 0)
			return conf->jobs[i];
	}
	return NULL;
}

struct group_config *
config_find_group(const struct config *conf, const char *name)
{
	int	i;

	for (i = 0; i < conf->ngroups; i++) {
		if (strcmp(conf->groups[i]->name, name) == 0)
			return conf->groups[i];
	}
	return NULL;
}

bool
job_exitcode_expected(const struct job_config *job, int code)
{
	if (code < 0 || code > 255)
		return false;
	return (job->exitcodes[code / 8] & (1u << (code % 8))) != 0;
}

/* Appends word to the summary line, quoted for sh if it needs it. */
static void
summary_word(FILE *fp, const char *w)
{
	const char	*p;

	if (*w != '\0' && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
	    "nopqrstuvwxyz0123456789_@%+=:,./-") == strlen(w)) {
		fputs(w, fp);
		return;
	}
	fputc('\'', fp);
	for (p = w; *p != '\0'; p++) {
		if (*p == '\'')
			fputs("'\\''", fp);
		else
			fputc(*p, fp);
	}
	fputc('\'', fp);
}

/* `drover -t`: "web  service  x1  /usr/sbin/nginx -g 'daemon off;'". */
void
config_summary(const struct config *conf, FILE *fp)
{
	const struct job_config	*job;
	char			 count[16];
	int			 i, j, wname = 4, wcount = 2, n;

	for (i = 0; i < conf->njobs; i++) {
		if ((n = (int)strlen(conf->jobs[i]->name)) > wname)
			wname = n;
		n = snprintf(count, sizeof(count), "x%d",
		    conf->jobs[i]->nprocs);
		if (n > wcount)
			wcount = n;
	}
	for (i = 0; i < conf->njobs; i++) {
		job = conf->jobs[i];
		snprintf(count, sizeof(count), "x%d", job->nprocs);
		fprintf(fp, "%-*s  %-7s  %-*s ", wname, job->name,
		    job_kind_name(job->kind), wcount, count);
		for (j = 0; job->nprocs > 0 && job->procs[0].argv != NULL &&
		    job->procs[0].argv[j] != NULL; j++) {
			fputc(' ', fp);
			summary_word(fp, job->procs[0].argv[j]);
		}
		fputc('\n', fp);
	}
}

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
sink_eq(const struct sink *a, const struct sink *b)
{
	return a->kind == b->kind && str_eq(a->path, b->path) &&
	    a->maxbytes == b->maxbytes && a->backups == b->backups;
}

static bool
limit_eq(const struct job_limit *a, const struct job_limit *b)
{
	return a->set == b->set && (!a->set || a->value == b->value);
}

static bool
proc_eq(const struct proc_config *a, const struct proc_config *b)
{
	return str_eq(a->name, b->name) && a->num == b->num &&
	    strv_eq(a->argv, b->argv) && strv_eq(a->env, b->env) &&
	    str_eq(a->directory, b->directory) && sink_eq(&a->out, &b->out) &&
	    sink_eq(&a->err, &b->err) &&
	    a->redirect_stderr == b->redirect_stderr;
}

/* What the process is started with; see config.h.  ready counts because
 * ready = notify changes the child's environment (NOTIFY_SOCKET), and a
 * supervisord program's group is in its SUPERVISOR_GROUP_NAME. */
bool
job_config_needs_restart(const struct job_config *a,
    const struct job_config *b)
{
	int	i;

	if (a->kind != b->kind || a->compat != b->compat ||
	    a->nprocs != b->nprocs || !str_eq(a->user, b->user) ||
	    a->uid != b->uid || a->gid != b->gid || a->umask != b->umask ||
	    a->clean_environment != b->clean_environment ||
	    a->ready != b->ready ||
	    !limit_eq(&a->limit_nofile, &b->limit_nofile) ||
	    !limit_eq(&a->limit_core, &b->limit_core) ||
	    !limit_eq(&a->limit_nproc, &b->limit_nproc) ||
	    !limit_eq(&a->limit_as, &b->limit_as))
		return true;
	if (a->compat && !str_eq(a->group, b->group))
		return true;
	for (i = 0; i < a->nprocs; i++) {
		if (!proc_eq(&a->procs[i], &b->procs[i]))
			return true;
	}
	return false;
}
