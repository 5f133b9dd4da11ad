/*
 * config_http.c: [unix_http_server] and [inet_http_server], supervisord's
 * spelling of where drover serves its HTTP control plane (ctl/http.c).
 * The values are kept as read; ctl/http.c binds them.  A TCP address that
 * is not loopback needs a username and password.
 */
#include <sys/types.h>

#include <arpa/inet.h>
#include <grp.h>
#include <limits.h>
#include <stdint.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_int.h"
#include "value.h"
#include "xmalloc.h"

static const char *const unix_keys[] = {
	"file", "chmod", "chown", "username", "password", NULL
};
static const char *const inet_keys[] = {
	"port", "username", "password", NULL
};

static const char *const *
keys_of(enum sect_type st)
{
	return st == ST_UNIX_HTTP ? unix_keys : inet_keys;
}

enum key_verdict
http_key_check(enum sect_type st, const char *key)
{
	const char *const	*k;

	for (k = keys_of(st); *k != NULL; k++) {
		if (strcmp(*k, key) == 0)
			return KV_OK;
	}
	return KV_UNKNOWN;
}

const char *
http_key_suggest(enum sect_type st, const char *key)
{
	return value_suggest(key, keys_of(st));
}

/* chown=user or user:group, by name or number. */
static void
set_chown(struct loader *ld, const struct rkey *k, const char *v,
    struct http_config *h)
{
	char		*copy = xstrdup(v), *grp;
	struct passwd	*pw;
	struct group	*gr;
	long		 n;

	if ((grp = strchr(copy, ':')) != NULL)
		*grp++ = '\0';
	if ((pw = getpwnam(copy)) == NULL &&
	    value_int(copy, 0, INT_MAX, &n) == 0)
		pw = getpwuid((uid_t)n);
	if (pw == NULL) {
		key_error(ld, k, "unknown user '%s'", copy);
		free(copy);
		return;
	}
	h->uid = pw->pw_uid;
	h->gid = pw->pw_gid;
	if (grp != NULL) {
		if ((gr = getgrnam(grp)) == NULL &&
		    value_int(grp, 0, INT_MAX, &n) == 0)
			gr = getgrgid((gid_t)n);
		if (gr == NULL)
			key_error(ld, k, "unknown group '%s'", grp);
		else
			h->gid = gr->gr_gid;
	}
	h->chown = true;
	free(copy);
}

/* port=[host:]port; "*" or no host is every address. */
static void
set_port(struct loader *ld, const struct rkey *k, const char *v,
    struct http_config *h)
{
	const char	*colon = strrchr(v, ':');
	char		*host;
	long		 port;

	if (colon == NULL)
		host = xstrdup("");
	else
		host = xstrndup(v, (size_t)(colon - v));
	if (strcmp(host, "*") == 0)
		host[0] = '\0';
	if (value_int(colon != NULL ? colon + 1 : v, 0, 65535, &port) != 0) {
		key_bad_value(ld, k, v, "[host:]port like 127.0.0.1:9001");
		free(host);
		return;
	}
	free(h->host);
	h->host = host;
	h->port = (int)port;
}

static bool
host_is_loopback(const char *host)
{
	struct in_addr	a4;
	struct in6_addr	a6;

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

static void
http_key(struct loader *ld, const struct rkey *k, const char *v,
    struct http_config *h)
{
	int	mode;

	if (strcmp(k->key, "file") == 0) {
		free(h->path);
		h->path = config_path(k->file, v);
		if (strlen(h->path) > 107)
			key_error(ld, k, "path too long for a unix socket");
	} else if (strcmp(k->key, "chmod") == 0) {
		if (value_octal(v, &mode) != 0 || mode > 0777)
			key_bad_value(ld, k, v, "an octal mode like 0700");
		else
			h->mode = mode;
	} else if (strcmp(k->key, "chown") == 0)
		set_chown(ld, k, v, h);
	else if (strcmp(k->key, "port") == 0)
		set_port(ld, k, v, h);
	else if (strcmp(k->key, "username") == 0) {
		free(h->username);
		h->username = xstrdup(v);
	} else if (strcmp(k->key, "password") == 0) {
		free(h->password);
		h->password = xstrdup(v);
	}
}

/* What a section must have: a file or port; auth off loopback. */
static void
http_check(struct loader *ld, const struct rsect *s, struct http_config *h)
{
	const struct rkey	*k;

	if (s->type == ST_UNIX_HTTP && h->path == NULL) {
		/* a conf.d fragment may add chown= to another file's section */
		diag_warn(ld->diag, s->file->path, s->line, "[%s] has no "
		    "file = (a socket path): not served", s->header);
		h->on = false;
	}
	if (s->type == ST_INET_HTTP && h->host == NULL)
		diag_error(ld->diag, s->file->path, s->line, "[%s] needs "
		    "port = host:port", s->header);
	if ((h->username == NULL) != (h->password == NULL))
		diag_error(ld->diag, s->file->path, s->line, "[%s] needs both "
		    "username and password, or neither", s->header);
	if (s->type == ST_INET_HTTP && h->host != NULL &&
	    h->password == NULL && !host_is_loopback(h->host)) {
		k = sect_key(s, "port");
		diag_error(ld->diag, k->file->path, k->line, "[%s] port = %s "
		    "is not a loopback address: set username and password "
		    "(or listen on 127.0.0.1)", s->header, k->value);
	}
}

/*
 * drover's own spelling, in [drover]: http_socket, http_socket_mode,
 * http_socket_owner, http_listen, http_username, http_password (the last
 * two for both servers).  They are read after supervisord's sections, so
 * [drover] wins, as it does for every key both spell.
 */
static const struct { const char *native, *key; int which; } native_keys[] = {
	{ "http_socket", "file", 1 },
	{ "http_socket_mode", "chmod", 1 },
	{ "http_socket_owner", "chown", 1 },
	{ "http_listen", "port", 2 },
	{ "http_username", "username", 3 },
	{ "http_password", "password", 3 },
};

static void
native_on(struct http_config *h, const struct rkey *k)
{
	if (!h->on)
		h->mode = 0700;
	h->on = true;
	free(h->file);
	h->file = xstrdup(k->file->path);
	h->line = k->line;
}

static void
native_build(struct loader *ld, const struct rsect *s)
{
	struct http_config	*hs[2] = { &ld->conf->http_unix,
				    &ld->conf->http_inet };
	const struct rkey	*listen = NULL;
	struct rkey		 kk;
	char			*v;
	size_t			 n;
	int			 j, w;

	for (j = 0; j < s->nkeys; j++) {
		for (n = 0; n < sizeof(native_keys) / sizeof(native_keys[0]);
		    n++)
			if (strcmp(s->keys[j].key, native_keys[n].native) == 0)
				break;
		if (n == sizeof(native_keys) / sizeof(native_keys[0]) ||
		    config_interpolate(ld, &s->keys[j], NULL, NULL, -1, 0,
		    &v) != 0)
			continue;
		kk = s->keys[j];
		kk.key = (char *)(uintptr_t)native_keys[n].key;
		for (w = 0; w < 2; w++) {
			if (!(native_keys[n].which & (1 << w)))
				continue;
			if (native_keys[n].which != 3)
				native_on(hs[w], &s->keys[j]);
			http_key(ld, &kk, v, hs[w]);
		}
		if (native_keys[n].which == 2)
			listen = &s->keys[j];
		free(v);
	}
	if (listen != NULL && hs[1]->password == NULL && hs[1]->host != NULL &&
	    !host_is_loopback(hs[1]->host))
		diag_error(ld->diag, listen->file->path, listen->line,
		    "http_listen = %s is not a loopback address: set "
		    "http_username and http_password (or listen on 127.0.0.1)",
		    listen->value);
}

void
http_build(struct loader *ld)
{
	const struct rsect	*s;
	struct http_config	*h;
	char			*v;
	int			 i, j;

	for (i = 0; i < ld->nsects; i++) {
		s = ld->sects[i];
		if (s->type != ST_UNIX_HTTP && s->type != ST_INET_HTTP)
			continue;
		h = s->type == ST_UNIX_HTTP ? &ld->conf->http_unix :
		    &ld->conf->http_inet;
		h->on = true;
		h->mode = 0700;
		free(h->file);
		h->file = xstrdup(s->file->path);
		h->line = s->line;
		for (j = 0; j < s->nkeys; j++) {
			if (config_interpolate(ld, &s->keys[j], NULL, NULL, -1,
			    0, &v) != 0)
				continue;
			http_key(ld, &s->keys[j], v, h);
			free(v);
		}
		http_check(ld, s, h);
	}
	for (i = 0; i < ld->nsects; i++)
		if (ld->sects[i]->type == ST_DROVER)
			native_build(ld, ld->sects[i]);
}
