/*
 * rpc_conf.c: supervisord's configuration methods: reloadConfig,
 * addProcessGroup, removeProcessGroup and getAllConfigInfo (see rpc.h).
 */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drover.h"
#include "log.h"
#include "rpc_int.h"
#include "value.h"
#include "xmalloc.h"

/* --- reloadConfig, addProcessGroup, removeProcessGroup -------------------- */

/*
 * supervisord re-reads its file at reloadConfig and changes nothing until
 * addProcessGroup/removeProcessGroup.  drover applies a configuration
 * whole (its reload, SIGHUP), so the re-read is kept here and the first
 * add or remove of a group it changes applies all of it; the calls after
 * that, for the groups it changed, find them as they asked.
 */
void
rpc_reread_clear(struct rpc_reread *r)
{
	if (r->conf != NULL)
		config_free(r->conf);
	strv_free(r->added);
	strv_free(r->changed);
	strv_free(r->removed);
	memset(r, 0, sizeof(*r));
}

static bool
strv_has(char **v, const char *s)
{
	for (; v != NULL && *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

static void
strv_add_once(char ***v, const char *s)
{
	if (!strv_has(*v, s))
		strv_push(v, s);
}

static const struct job_config *
conf_find(const struct config *c, const char *name)
{
	int	i;

	for (i = 0; i < c->njobs; i++)
		if (strcmp(c->jobs[i]->name, name) == 0)
			return c->jobs[i];
	return NULL;
}

/* The supervisord groups that differ between the running jobs and nc. */
static void
reread_diff(struct drover *d, const struct config *nc, struct rpc_reread *r)
{
	const struct job_config	*o, *n;
	bool			 allenv = !strv_eq(d->d_conf->environment,
				    nc->environment);
	int			 i;

	for (i = 0; i < nc->njobs; i++) {
		n = nc->jobs[i];
		if ((o = conf_find(d->d_conf, n->name)) == NULL)
			strv_add_once(&r->added, rpc_group_of(n));
		else if (allenv || strcmp(rpc_group_of(o), rpc_group_of(n)) !=
		    0 || job_config_needs_restart(o, n))
			strv_add_once(&r->changed, rpc_group_of(n));
	}
	for (i = 0; i < d->d_conf->njobs; i++) {
		o = d->d_conf->jobs[i];
		if (conf_find(nc, o->name) == NULL)
			strv_add_once(&r->removed, rpc_group_of(o));
	}
	/* a group some of whose jobs come and go has changed */
	for (i = 0; r->added != NULL && r->added[i] != NULL; i++)
		if (strv_has(r->removed, r->added[i]))
			strv_add_once(&r->changed, r->added[i]);
}

static xmlrpc_value *
names_array(xmlrpc_env *env, char **v, char **minus1, char **minus2)
{
	xmlrpc_value	*a = xmlrpc_array_new(env), *s;

	for (; v != NULL && *v != NULL && !env->fault_occurred; v++) {
		if (strv_has(minus1, *v) || strv_has(minus2, *v))
			continue;
		s = xmlrpc_string_new(env, *v);
		xmlrpc_array_append_item(env, a, s);
		xmlrpc_DECREF(s);
	}
	return a;
}

static xmlrpc_value *
m_reload_config(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	struct rpc		*rpc = srv;
	struct drover		*d = rpc->r_d;
	struct config_env	 cenv;
	struct diag		 dg;
	struct config		*nc;
	xmlrpc_value		*a, *c, *r, *inner, *outer;

	(void)ci;
	if (!rpc_nargs(env, p, 0, 0))
		return NULL;
	config_env_default(&cenv);
	diag_init(&dg);
	nc = config_load(d->d_confpath, &cenv, &dg);
	if (nc == NULL) {
		rpc_fault(env, F_CANT_REREAD, "%s", dg.nerrors > 0 ?
		    dg.errors[0] : "cannot read the configuration");
		diag_free(&dg);
		return NULL;
	}
	diag_free(&dg);
	rpc_reread_clear(&rpc->r_reread);
	rpc->r_reread.conf = nc;
	reread_diff(d, nc, &rpc->r_reread);
	a = names_array(env, rpc->r_reread.added, rpc->r_reread.changed, NULL);
	c = names_array(env, rpc->r_reread.changed, NULL, NULL);
	r = names_array(env, rpc->r_reread.removed, rpc->r_reread.changed,
	    NULL);
	inner = xmlrpc_build_value(env, "(VVV)", a, c, r);
	outer = xmlrpc_build_value(env, "(V)", inner);
	xmlrpc_DECREF(a);
	xmlrpc_DECREF(c);
	xmlrpc_DECREF(r);
	xmlrpc_DECREF(inner);
	return outer;
}

static bool
group_active(struct drover *d, const char *g)
{
	int	i;

	for (i = 0; i < d->d_njobs; i++)
		if (!d->d_jobs[i]->removed &&
		    strcmp(rpc_group_of(d->d_jobs[i]->cfg), g) == 0)
			return true;
	return false;
}

static bool
group_running(struct drover *d, const char *g)
{
	int	i, k;

	for (i = 0; i < d->d_njobs; i++) {
		if (d->d_jobs[i]->removed ||
		    strcmp(rpc_group_of(d->d_jobs[i]->cfg), g) != 0)
			continue;
		for (k = 0; k < d->d_jobs[i]->ninst; k++)
			if (instance_active(d->d_jobs[i]->inst[k]))
				return true;
	}
	return false;
}

/* Apply the re-read configuration once; false (and a fault) if it fails. */
static bool
reread_apply(xmlrpc_env *env, struct rpc *rpc)
{
	char	err[512] = "";

	if (rpc->r_reread.applied)
		return true;
	log_notice("rpc: applying the re-read configuration");
	if (reload_request(rpc->r_d, err, sizeof(err)) == -1) {
		rpc_fault(env, F_FAILED, "reload: %s", err);
		return false;
	}
	rpc->r_reread.applied = true;
	return true;
}

static xmlrpc_value *
m_add_group(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	struct rpc		*rpc = srv;
	struct rpc_reread	*r = &rpc->r_reread;
	char			*name;

	(void)ci;
	if (!rpc_nargs(env, p, 1, 1) || !rpc_arg_string(env, p, 0, &name))
		return NULL;
	if (r->conf != NULL && (strv_has(r->added, name) ||
	    strv_has(r->changed, name))) {
		if (r->applied && !strv_has(r->changed, name) &&
		    !group_active(rpc->r_d, name))
			rpc_fault(env, F_BAD_NAME, "%s", name);
		else
			reread_apply(env, rpc);
	} else if (group_active(rpc->r_d, name))
		rpc_fault(env, F_ALREADY_ADDED, "%s", name);
	else
		rpc_fault(env, F_BAD_NAME, "%s", name);
	free(name);
	return env->fault_occurred ? NULL : xmlrpc_bool_new(env, 1);
}

static xmlrpc_value *
m_remove_group(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	struct rpc		*rpc = srv;
	struct rpc_reread	*r = &rpc->r_reread;
	char			*name;

	(void)ci;
	if (!rpc_nargs(env, p, 1, 1) || !rpc_arg_string(env, p, 0, &name))
		return NULL;
	if (r->applied && (strv_has(r->removed, name) ||
	    strv_has(r->changed, name)))
		;	/* the reload took it away (or replaced it) */
	else if (!group_active(rpc->r_d, name))
		rpc_fault(env, F_BAD_NAME, "%s", name);
	else if (group_running(rpc->r_d, name))
		rpc_fault(env, F_STILL_RUNNING, "%s", name);
	else if (r->conf == NULL || (!strv_has(r->removed, name) &&
	    !strv_has(r->changed, name)))
		rpc_fault(env, F_FAILED, "%s is still in the configuration: "
		    "drover removes a group when its file no longer has it "
		    "(reread first)", name);
	else
		reread_apply(env, rpc);
	free(name);
	return env->fault_occurred ? NULL : xmlrpc_bool_new(env, 1);
}

/* --- getAllConfigInfo ------------------------------------------------------ */

static void
set_member(xmlrpc_env *env, xmlrpc_value *st, const char *key,
    xmlrpc_value *v)
{
	if (v == NULL)
		return;
	xmlrpc_struct_set_value(env, st, key, v);
	xmlrpc_DECREF(v);
}

static xmlrpc_value *
sink_path(xmlrpc_env *env, const struct sink *s)
{
	switch (s->kind) {
	case SINK_FILE:
		return xmlrpc_string_new(env, s->path);
	case SINK_NULL:
		return xmlrpc_string_new(env, "none");
	default:
		/* supervisord's AUTO: a log drover keeps (its own or the
		 * journal's) */
		return xmlrpc_string_new(env, "auto");
	}
}

static xmlrpc_value *
exitcodes_array(xmlrpc_env *env, const struct job_config *c)
{
	xmlrpc_value	*a = xmlrpc_array_new(env), *n;
	int		 i;

	for (i = 0; i < 256 && !env->fault_occurred; i++) {
		if (!(c->exitcodes[i / 8] & (1u << (i % 8))))
			continue;
		n = xmlrpc_int_new(env, i);
		xmlrpc_array_append_item(env, a, n);
		xmlrpc_DECREF(n);
	}
	return a;
}

static int
capped(uint64_t v)
{
	return v > INT32_MAX ? INT32_MAX : (int)v;
}

/* The stdout_* or stderr_* members of a config info struct. */
static void
stream_info(xmlrpc_env *env, xmlrpc_value *st, const char *pfx,
    const struct job_config *c, const struct sink *sk, int i)
{
	char	key[64];

#define KEY(k)	(snprintf(key, sizeof(key), "%s_%s", pfx, k), key)
	set_member(env, st, KEY("capture_maxbytes"), xmlrpc_int_new(env,
	    capped(c->capture_max[i])));
	set_member(env, st, KEY("events_enabled"), xmlrpc_bool_new(env,
	    i == 0 ? c->stdout_events : c->stderr_events));
	set_member(env, st, KEY("logfile"), sink_path(env, sk));
	set_member(env, st, KEY("logfile_backups"), xmlrpc_int_new(env,
	    sk->backups));
	set_member(env, st, KEY("logfile_maxbytes"), xmlrpc_int_new(env,
	    capped(sk->maxbytes)));
	set_member(env, st, KEY("syslog"), xmlrpc_bool_new(env,
	    sk->kind == SINK_JOURNAL));
#undef KEY
}

static xmlrpc_value *
config_info(xmlrpc_env *env, struct drover *d, const struct job_config *c,
    const struct proc_config *pc)
{
	xmlrpc_value	*st = xmlrpc_struct_new(env);
	char		*cmd = strv_join(pc->argv, " ");
	bool		 grp = c->killmode != KM_PROCESS;

	set_member(env, st, "autostart", xmlrpc_bool_new(env, c->autostart));
	set_member(env, st, "directory", xmlrpc_string_new(env,
	    pc->directory != NULL ? pc->directory : "none"));
	set_member(env, st, "uid", c->user != NULL ? xmlrpc_int_new(env,
	    (int)c->uid) : xmlrpc_string_new(env, "none"));
	set_member(env, st, "command", xmlrpc_string_new(env, cmd));
	set_member(env, st, "exitcodes", exitcodes_array(env, c));
	set_member(env, st, "group", xmlrpc_string_new(env, rpc_group_of(c)));
	set_member(env, st, "group_prio", xmlrpc_int_new(env, c->priority));
	set_member(env, st, "inuse", xmlrpc_bool_new(env,
	    group_active(d, rpc_group_of(c))));
	set_member(env, st, "killasgroup", xmlrpc_bool_new(env, grp));
	set_member(env, st, "stopasgroup", xmlrpc_bool_new(env,
	    c->killmode == KM_GROUP));
	set_member(env, st, "name", xmlrpc_string_new(env, pc->name));
	set_member(env, st, "process_prio", xmlrpc_int_new(env, c->priority));
	set_member(env, st, "redirect_stderr", xmlrpc_bool_new(env,
	    pc->redirect_stderr));
	set_member(env, st, "startretries", xmlrpc_int_new(env,
	    c->startretries));
	set_member(env, st, "startsecs", xmlrpc_int_new(env,
	    (int)(c->startsecs / 1000)));
	set_member(env, st, "stopsignal", xmlrpc_int_new(env, c->stopsignal));
	set_member(env, st, "stopwaitsecs", xmlrpc_int_new(env,
	    (int)(c->stopwaitsecs / 1000)));
	stream_info(env, st, "stdout", c, &pc->out, 0);
	stream_info(env, st, "stderr", c, &pc->err, 1);
	set_member(env, st, "serverurl", xmlrpc_string_new(env, "AUTO"));
	free(cmd);
	return st;
}

struct named_value {
	const char	*name;
	xmlrpc_value	*v;
};

static int
named_cmp(const void *a, const void *b)
{
	return strcmp(((const struct named_value *)a)->name,
	    ((const struct named_value *)b)->name);
}

/* Every process of the configuration re-read last (else the running one),
 * sorted by name as supervisord sorts them; inuse says which run. */
static xmlrpc_value *
m_config_info(xmlrpc_env *env, xmlrpc_value *p, void *srv, void *ci)
{
	struct rpc		*rpc = srv;
	const struct config	*conf = rpc->r_reread.conf != NULL &&
				    !rpc->r_reread.applied ?
				    rpc->r_reread.conf : rpc->r_d->d_conf;
	struct named_value	*nv = NULL;
	xmlrpc_value		*a;
	size_t			 n = 0, i;
	int			 j, k;

	(void)ci;
	if (!rpc_nargs(env, p, 0, 0))
		return NULL;
	for (j = 0; j < conf->njobs; j++) {
		nv = xreallocarray(nv, n + (size_t)conf->jobs[j]->nprocs + 1,
		    sizeof(*nv));
		for (k = 0; k < conf->jobs[j]->nprocs; k++) {
			nv[n].name = conf->jobs[j]->procs[k].name;
			nv[n++].v = config_info(env, rpc->r_d, conf->jobs[j],
			    &conf->jobs[j]->procs[k]);
		}
	}
	if (n > 0)
		qsort(nv, n, sizeof(*nv), named_cmp);
	a = xmlrpc_array_new(env);
	for (i = 0; i < n; i++) {
		xmlrpc_array_append_item(env, a, nv[i].v);
		xmlrpc_DECREF(nv[i].v);
	}
	free(nv);
	return a;
}

static const struct xmlrpc_method_info3 methods[] = {
	{ "supervisor.reloadConfig", m_reload_config, NULL, 0, "A:",
	    "Re-read the configuration: [[added, changed, removed]]." },
	{ "supervisor.addProcessGroup", m_add_group, NULL, 0, "b:s",
	    "Apply the re-read configuration for a group it adds." },
	{ "supervisor.removeProcessGroup", m_remove_group, NULL, 0, "b:s",
	    "Apply the re-read configuration for a stopped group it drops." },
	{ "supervisor.getAllConfigInfo", m_config_info, NULL, 0, "A:",
	    "The configuration of every process." },
};

void
rpc_conf_register(xmlrpc_env *env, struct rpc *rpc)
{
	rpc_register(env, rpc, methods, sizeof(methods) / sizeof(methods[0]));
}
