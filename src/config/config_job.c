/*
 * config_job.c: [service:x], [task:x], [cleanup:x] and [program:x].
 *
 * config_jobkey.c has the table of the keys: where each is allowed and
 * how its value is parsed.  Values are interpolated before they are parsed
 * (supervisord expands %(ENV_X)s even in numprocs and autostart).  The
 * keys that differ from one instance to the next (command, process_name,
 * directory, environment and the output keys) are kept raw and expanded
 * once per instance, when %(process_num)d is known.
 */
#include <sys/types.h>

#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"
#include "value.h"
#include "xmalloc.h"

#define DEFAULT_MAXBYTES	(50 * 1024 * 1024)
#define DEFAULT_BACKUPS		10
#define DEFAULT_TAIL_BUFFER	(64 * 1024)

/* --- building ------------------------------------------------------------ */

/* SPEC 2.2's defaults; [program:x] has those of [service:x]. */
static void
job_defaults(struct jobbuild *b, enum sect_type st)
{
	struct job_config	*job = b->job;

	job->kind = st == ST_TASK ? JOB_TASK : st == ST_CLEANUP ? JOB_CLEANUP :
	    JOB_SERVICE;
	job->compat = st == ST_PROGRAM || st == ST_LISTENER;
	job->listener = st == ST_LISTENER;
	job->buffer_size = 10;
	job->umask = -1;
	job->autostart = true;
	job->autorestart = job->kind == JOB_SERVICE ? AR_UNEXPECTED : AR_FALSE;
	job->exitcodes[0] = 1;			/* 0 */
	job->startsecs = 1000;
	job->startretries = 3;
	job->backoff = 1000;
	job->backoff_max = 60 * 1000;
	job->stopsignal = SIGTERM;
	job->stopwaitsecs = 10 * 1000;
	job->killmode = KM_MIXED;
	job->priority = st == ST_LISTENER ? -1 : 999;
	job->history = 10;
	job->ready = job->kind == JOB_SERVICE ? READY_STARTSECS : READY_STARTED;
	job->start_timeout = 90 * 1000;
	job->hook_timeout = 30 * 1000;
	b->numprocs = 1;
	b->maxbytes[0] = b->maxbytes[1] = DEFAULT_MAXBYTES;
	b->backups[0] = b->backups[1] = DEFAULT_BACKUPS;
	job->tail_buffer = DEFAULT_TAIL_BUFFER;
	b->stopasgroup = b->killasgroup = -1;
}

/*
 * Each job's group, for %(group_name)s and job->group: the first group
 * that lists it.  Members are strings of conf->groups[i]->jobs, which
 * validation may remove: the table lives while jobs are built only.
 */
static struct names *
groups_of(struct loader *ld)
{
	struct names	*t = names_new(false);
	char	       **m;
	int		 i;

	for (i = 0; i < ld->conf->ngroups; i++) {
		for (m = ld->conf->groups[i]->jobs; *m != NULL; m++)
			names_add(t, *m, i);
	}
	return t;
}

/* killmode from stopasgroup/killasgroup, unless killmode was given. */
static void
check_killmode(struct jobbuild *b)
{
	if (b->stopasgroup == 1 && b->killasgroup == 0)
		key_error(b->ld, b->killasgroup_k, "cannot be false when "
		    "stopasgroup is true (as in supervisord)");
	if (b->killmode_set)
		return;
	if (b->stopasgroup == 1)
		b->job->killmode = KM_GROUP;
	else if (b->killasgroup == 1)
		b->job->killmode = KM_MIXED;
}

/* One key per stream, and nothing for stderr when it is redirected. */
static void
check_output(struct jobbuild *b)
{
	const struct rkey	*k;
	int			 s;

	for (s = 0; s < 2; s++) {
		if (b->inst[I_STDOUT + s] != NULL &&
		    (k = b->inst[I_STDOUT_LOGFILE + s]) != NULL)
			key_error(b->ld, k, "conflicts with %s (line %d); "
			    "give one of them", b->inst[I_STDOUT + s]->key,
			    b->inst[I_STDOUT + s]->line);
	}
	if (!b->redirect)
		return;
	if ((k = b->inst[I_STDERR]) != NULL)
		key_error(b->ld, k, "conflicts with redirect_stderr = true");
	if ((k = b->inst[I_STDERR_LOGFILE]) == NULL)
		return;
	if (!b->job->compat)
		key_error(b->ld, k, "conflicts with redirect_stderr = true");
	else if (strcasecmp(k->value, "auto") != 0 &&
	    strcasecmp(k->value, "none") != 0)
		key_warn(b->ld, k, "redirect_stderr is true, so this file "
		    "is ignored (as in supervisord)");
	b->inst[I_STDERR_LOGFILE] = NULL;
}

/* What a job's keys mean together, once they are all read. */
static void
job_check(struct jobbuild *b)
{
	struct job_config	*job = b->job;
	const struct rsect	*s = b->sect;
	const struct rkey	*k;

	if (b->inst[I_COMMAND] == NULL)
		diag_error(b->ld->diag, s->file->path, s->line,
		    "[%s] has no command", s->header);
	check_killmode(b);
	check_output(b);
	if (job->backoff > job->backoff_max) {
		if (b->backoff_max_k != NULL)
			key_error(b->ld, b->backoff_max_k, "is less than "
			    "backoff");
		else
			job->backoff_max = job->backoff;
	}
	if (job->kind == JOB_CLEANUP && job->timeout == 0)
		diag_error(b->ld->diag, s->file->path, s->line, "[%s] has no "
		    "timeout (a cleanup job is shielded from cancellation, "
		    "only its timeout bounds it)", s->header);
	if (job->shield && job->timeout == 0)
		key_error(b->ld, b->shield_k, "shield = true requires a "
		    "timeout");
	if (b->schedule_k != NULL && b->interval_k != NULL)
		key_error(b->ld, b->schedule_k, "schedule and interval (line "
		    "%d) may not both be set", b->interval_k->line);
	if (b->schedule_k == NULL && b->timezone_k != NULL)
		key_error(b->ld, b->timezone_k, "is only valid with schedule");
	if (b->numprocs > 1) {
		k = b->inst[I_PROCESS_NAME];
		if (k != NULL && strstr(k->value, "%(process_num)") == NULL)
			key_error(b->ld, k, "must contain %%(process_num) when "
			    "numprocs > 1");
		else if (k == NULL && job->compat)
			key_error(b->ld, b->numprocs_k, "is more than 1, so "
			    "process_name must contain %%(process_num) (as in "
			    "supervisord)");
	}
}

static int
expand(struct jobbuild *b, const struct rkey *k, int num, char **out)
{
	return config_interpolate(b->ld, k, b->job->name, b->job->group !=
	    NULL ? b->job->group : b->job->name, num, b->numprocs, out);
}

/* A file sink's path: relative to the file, never rotated if it is a
 * device (/dev/stdout, /proc/1/fd/1), and in a directory that exists. */
static void
sink_file(struct jobbuild *b, const struct rkey *k, const char *path,
    struct sink *sk)
{
	sk->kind = SINK_FILE;
	sk->path = config_path(k->file, path);
	if (strncmp(sk->path, "/dev/", 5) == 0 ||
	    strncmp(sk->path, "/proc/", 6) == 0)
		sk->maxbytes = 0;
	validate_dir(b->ld, k, sk->path, &b->seen_dirs);
}

/* stdout = log | journal | null | inherit | file:PATH (drover), or
 * stdout_logfile = AUTO | NONE | syslog | PATH (supervisord). */
static int
sink_build(struct jobbuild *b, int s, int num, struct sink *sk)
{
	const struct rkey	*kd = b->inst[I_STDOUT + s];
	const struct rkey	*k = kd != NULL ? kd : b->inst[I_STDOUT_LOGFILE + s];
	char			*v;
	int			 ret = 0;

	sk->kind = SINK_LOG;
	sk->maxbytes = b->maxbytes[s];
	sk->backups = b->backups[s];
	if (k == NULL)
		return 0;
	if (expand(b, k, num, &v) != 0)
		return -1;
	if (kd != NULL && strncmp(v, "file:", 5) == 0 && v[5] != '\0')
		sink_file(b, k, v + 5, sk);
	else if (kd != NULL && strcmp(v, "log") == 0)
		sk->kind = SINK_LOG;
	else if (kd != NULL && strcmp(v, "journal") == 0)
		sk->kind = SINK_JOURNAL;
	else if (kd != NULL && strcmp(v, "null") == 0)
		sk->kind = SINK_NULL;
	else if (kd != NULL && strcmp(v, "inherit") == 0)
		sk->kind = SINK_INHERIT;
	else if (kd != NULL)
		ret = bad(b, k, v, "log, journal, null, inherit or file:PATH");
	else if (strcasecmp(v, "auto") == 0)
		sk->kind = SINK_LOG;
	else if (strcasecmp(v, "none") == 0)
		sk->kind = SINK_NULL;
	else if (strcasecmp(v, "syslog") == 0)
		sk->kind = SINK_JOURNAL;
	else if (*v == '\0')
		ret = bad(b, k, v, "a file name, AUTO, NONE or syslog");
	else
		sink_file(b, k, v, sk);
	free(v);
	return ret;
}

/* process_name, or its default, expanded for this instance. */
static int
proc_name(struct jobbuild *b, struct proc_config *p)
{
	struct rkey		 def;
	const struct rkey	*k = b->inst[I_PROCESS_NAME];
	char			 key[] = "process_name", *why;
	char			 one[] = "%(program_name)s";
	char			 many[] = "%(program_name)s_%(process_num)d";

	if (k == NULL) {
		def.key = key;
		def.value = b->numprocs > 1 && !b->job->compat ? many : one;
		def.file = b->sect->file;
		def.line = b->sect->line;
		k = &def;
	}
	if (expand(b, k, p->num, &p->name) != 0)
		return -1;
	if (validate_name(p->name, &why) != 0) {
		key_error(b->ld, k, "invalid name '%s': %s", p->name, why);
		free(why);
		return -1;
	}
	return 0;
}

/* The command is split now, so that drover -t reports bad quoting. */
static int
proc_command(struct jobbuild *b, struct proc_config *p)
{
	const struct rkey	*k = b->inst[I_COMMAND];
	char			*v, *err = NULL;
	int			 ret;

	if (k == NULL)
		return 0;
	if (expand(b, k, p->num, &v) != 0)
		return -1;
	if ((ret = value_argv(v, &p->argv, &err)) != 0)
		key_error(b->ld, k, "%s", err);
	free(err);
	free(v);
	return ret;
}

/* directory (relative to the file) and environment of one instance. */
static int
proc_env_dir(struct jobbuild *b, struct proc_config *p)
{
	const struct rkey	*k;
	char			*v, *err = NULL;
	int			 ret = 0;

	if ((k = b->inst[I_DIRECTORY]) != NULL) {
		if (expand(b, k, p->num, &v) != 0)
			return -1;
		if (*v == '\0')
			ret = bad(b, k, v, "a directory");
		else
			p->directory = config_path(k->file, v);
		free(v);
	}
	if (ret == 0 && (k = b->inst[I_ENVIRONMENT]) != NULL) {
		if (expand(b, k, p->num, &v) != 0)
			return -1;
		if ((ret = value_env(v, &p->env, &err)) != 0)
			key_error(b->ld, k, "%s", err);
		free(err);
		free(v);
	}
	return ret;
}

static void
sink_free(struct sink *sk)
{
	free(sk->path);
	sk->path = NULL;
}

static void
proc_free(struct proc_config *p)
{
	free(p->name);
	strv_free(p->argv);
	strv_free(p->env);
	free(p->directory);
	sink_free(&p->out);
	sink_free(&p->err);
	memset(p, 0, sizeof(*p));
}

static int
proc_build(struct jobbuild *b, struct proc_config *p)
{
	if (proc_name(b, p) != 0 || proc_command(b, p) != 0 ||
	    proc_env_dir(b, p) != 0 || sink_build(b, 0, p->num, &p->out) != 0)
		return -1;
	p->redirect_stderr = b->redirect;
	if (!b->redirect)
		return sink_build(b, 1, p->num, &p->err);
	p->err = p->out;
	if (p->out.path != NULL)
		p->err.path = xstrdup(p->out.path);
	return 0;
}

/* numprocs instances; after a failure, the errors would all be alike. */
static void
job_instances(struct jobbuild *b)
{
	struct job_config	*job = b->job;
	int			 i;

	job->procs = xcalloc((size_t)b->numprocs, sizeof(*job->procs));
	for (i = 0; i < b->numprocs; i++) {
		job->procs[i].num = b->numprocs_start + i;
		if (proc_build(b, &job->procs[i]) != 0) {
			proc_free(&job->procs[i]);
			break;
		}
	}
	job->nprocs = i;
}

/* The tasks of its hooks, their commands split for each instance. */
static void
job_hooks(struct jobbuild *b, struct jobmeta *meta)
{
	const struct rkey	*k;
	char		      ***argvs, *v, *err;
	int			 h, i, n;

	for (h = 0; h < HOOK__MAX; h++) {
		if ((k = b->hook_k[h]) == NULL)
			continue;
		n = b->job->nprocs;
		argvs = xcalloc((size_t)n + 1, sizeof(*argvs));
		for (i = 0; i < n; i++) {
			if (expand(b, k, b->job->procs[i].num, &v) != 0)
				break;
			err = NULL;
			if (value_argv(v, &argvs[i], &err) != 0)
				key_error(b->ld, k, "%s", err);
			else if (argvs[i][0] == NULL) {
				key_error(b->ld, k, "is empty (a command to "
				    "run)");
				strv_free(argvs[i]);
				argvs[i] = NULL;
			}
			free(err);
			free(v);
			if (argvs[i] == NULL)
				break;
		}
		if (i == n && n > 0) {
			meta->hooks[h] = hook_job_new(b->job, h, k, argvs);
			b->job->hooks[h] = xstrdup(meta->hooks[h]->name);
		} else
			while (i-- > 0)
				strv_free(argvs[i]);
		free(argvs);
	}
}

/* One job from its section: the keys, what they mean together, and the
 * instances. */
static struct job_config *
job_build(struct loader *ld, const struct rsect *s, struct jobmeta *meta,
    const struct names *groups)
{
	struct jobbuild		 b;
	const struct jobkey	*jk;
	const struct rkey	*k;
	char			*v;
	int			 i;

	memset(&b, 0, sizeof(b));
	b.ld = ld;
	b.sect = s;
	b.job = xcalloc(1, sizeof(*b.job));
	job_defaults(&b, s->type);
	b.job->name = xstrdup(s->name);
	b.job->file = xstrdup(s->file->path);
	b.job->line = s->line;
	if ((i = names_find(groups, s->name)) != -1)
		b.job->group = xstrdup(ld->conf->groups[i]->name);
	for (i = 0; i < s->nkeys; i++) {
		k = &s->keys[i];
		if ((jk = jobkey_find(k->key)) == NULL || jk->set == NULL)
			continue;
		if (jk->set == set_inst)
			b.inst[jk->arg] = k;
		else if (jk->set == set_hook)
			b.hook_k[jk->arg] = k;	/* expanded per instance */
		else if (expand(&b, k, -1, &v) == 0) {
			jk->set(&b, k, v, jk->arg);
			free(v);
		}
	}
	job_check(&b);
	job_instances(&b);
	job_hooks(&b, meta);
	strv_free(b.seen_dirs);
	meta->job = b.job;
	meta->sect = s;
	meta->after = sect_key(s, "after");
	meta->before = sect_key(s, "before");
	return b.job;
}

/*
 * The hook tasks after every job of the file, so that a job's index in
 * conf->jobs stays its section's order; a name taken by a job of the
 * file is an error.
 */
static void
jobs_add_hooks(struct loader *ld)
{
	struct config		*conf = ld->conf;
	struct job_config	*hook;
	int			 i, h, n = conf->njobs;

	for (i = 0; i < n; i++) {
		for (h = 0; h < HOOK__MAX; h++) {
			if ((hook = ld->meta[i].hooks[h]) == NULL)
				continue;
			ld->meta[i].hooks[h] = NULL;
			if (names_find(ld->jobnames, hook->name) != -1) {
				diag_error(ld->diag, hook->file, hook->line,
				    "%s: its task '%s' has the name of a job",
				    hook_key_names[h], hook->name);
				job_config_free(hook);
				continue;
			}
			conf->jobs = xreallocarray(conf->jobs,
			    (size_t)conf->njobs + 1, sizeof(*conf->jobs));
			ld->meta = xreallocarray(ld->meta,
			    (size_t)conf->njobs + 2, sizeof(*ld->meta));
			memset(&ld->meta[conf->njobs], 0, 2 * sizeof(*ld->meta));
			ld->meta[conf->njobs].job = hook;
			ld->meta[conf->njobs].sect = ld->meta[i].sect;
			conf->jobs[conf->njobs] = hook;
			names_add(ld->jobnames, hook->name, conf->njobs);
			conf->njobs++;
		}
	}
}

/* Jobs in file order; ld->meta[i] describes conf->jobs[i]. */
void
job_build_all(struct loader *ld)
{
	struct config	*conf = ld->conf;
	struct names	*groups = groups_of(ld);
	enum sect_type	 st;
	int		 i;

	ld->meta = xcalloc((size_t)ld->nsects + 1, sizeof(*ld->meta));
	for (i = 0; i < ld->nsects; i++) {
		st = ld->sects[i]->type;
		if (st != ST_SERVICE && st != ST_TASK && st != ST_CLEANUP &&
		    st != ST_PROGRAM && st != ST_LISTENER)
			continue;
		conf->jobs = xreallocarray(conf->jobs, (size_t)conf->njobs + 1,
		    sizeof(*conf->jobs));
		conf->jobs[conf->njobs] = job_build(ld, ld->sects[i],
		    &ld->meta[conf->njobs], groups);
		names_add(ld->jobnames, conf->jobs[conf->njobs]->name,
		    conf->njobs);
		conf->njobs++;
	}
	names_free(groups);
	jobs_add_hooks(ld);
}

/* Frees a job and everything in it; NULL is fine. */
void
job_config_free(struct job_config *job)
{
	int	i;

	if (job == NULL)
		return;
	for (i = 0; i < job->nprocs; i++)
		proc_free(&job->procs[i]);
	free(job->procs);
	free(job->name);
	free(job->file);
	free(job->group);
	free(job->user);
	strv_free(job->after);
	strv_free(job->before);
	free(job->schedule);
	free(job->timezone);
	strv_free(job->events);
	for (i = 0; i < HOOK__MAX; i++)
		free(job->hooks[i]);
	free(job->hook_of);
	free(job);
}
