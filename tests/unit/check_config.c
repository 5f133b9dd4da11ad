/*
 * check_config.c: unit tests for config_load() and friends (SPEC 2).
 *
 * Each test writes small files into its own temporary directory, loads
 * them and checks the result or the exact "FILE:LINE: message" of every
 * diagnostic.  Bad input comes first in each group.
 */
#include <sys/stat.h>
#include <sys/utsname.h>

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#ifndef DROVER_RUNSTATEDIR
#define DROVER_RUNSTATEDIR "/run"
#endif
#include "value.h"
#include "xmalloc.h"

static char		 *dir;		/* this test's temporary directory */
static char		 *mainpath;	/* dir/main.ini */
static char		  cwd[PATH_MAX];
static char		**kept;		/* strings freed at teardown */
static struct diag	  d;
static struct config	 *conf;
static struct config_env  env;

static const char *
keep(char *s)
{
	strv_push_take(&kept, s);
	return s;
}

static const char *fmt(const char *, ...) __attribute__((format(printf, 1, 2)));

static const char *
fmt(const char *f, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, f);
	n = vsnprintf(NULL, 0, f, ap);
	va_end(ap);
	s = xmalloc((size_t)n + 1);
	va_start(ap, f);
	vsnprintf(s, (size_t)n + 1, f, ap);
	va_end(ap);
	return keep(s);
}

/* The absolute path of name in the test directory. */
static const char *
P(const char *name)
{
	return fmt("%s/%s", dir, name);
}

static void
write_bytes(const char *name, const char *data, size_t len)
{
	FILE	*fp;

	fp = fopen(P(name), "w");
	ck_assert_msg(fp != NULL, "fopen %s: %s", name, strerror(errno));
	ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
}

static void
write_text(const char *name, const char *text)
{
	write_bytes(name, text, strlen(text));
}

static void
subdir(const char *name)
{
	ck_assert_int_eq(mkdir(P(name), 0700), 0);
}

static struct config *
load_path(const char *path)
{
	config_free(conf);
	diag_free(&d);
	diag_init(&d);
	conf = config_load(path, &env, &d);
	return conf;
}

static struct config *
load(const char *text)
{
	write_text("main.ini", text);
	return load_path(mainpath);
}

static const char *
dump(void)
{
	char	*e = strv_join(d.errors, "\n  "), *w = strv_join(d.warnings,
	    "\n  ");

	keep(e);
	keep(w);
	return fmt("errors:\n  %s\nwarnings:\n  %s", e, w);
}

static bool
has(char **v, const char *s)
{
	return strv_contains(v, s);
}

/* Exact diagnostics; M(line, text) is "mainpath:line: text". */
#define M(line, ...)	fmt("%s:%d: %s", mainpath, line, fmt(__VA_ARGS__))
#define ERROR_IS(s) do {						\
	const char *m_ = (s);						\
	ck_assert_msg(has(d.errors, m_), "expected error: %s\n%s", m_,	\
	    dump());							\
} while (0)
#define WARNING_IS(s) do {						\
	const char *m_ = (s);						\
	ck_assert_msg(has(d.warnings, m_), "expected warning: %s\n%s",	\
	    m_, dump());						\
} while (0)
#define NERRORS(n) ck_assert_msg(d.nerrors == (n),			\
	"expected %d errors, got %d\n%s", (n), d.nerrors, dump())
#define NWARNINGS(n) ck_assert_msg(d.nwarnings == (n),			\
	"expected %d warnings, got %d\n%s", (n), d.nwarnings, dump())
#define LOAD_OK(text) do {						\
	load(text);							\
	ck_assert_msg(conf != NULL, "load failed\n%s", dump());		\
} while (0)
#define LOAD_BAD(text) do {						\
	load(text);							\
	ck_assert_msg(conf == NULL, "load succeeded\n%s", dump());	\
} while (0)

static struct job_config *
J(const char *name)
{
	struct job_config	*job;

	ck_assert_ptr_nonnull(conf);
	job = config_find_job(conf, name);
	ck_assert_msg(job != NULL, "no job %s", name);
	return job;
}

/* argv equals the NULL-terminated list of words. */
static void
argv_is(char **argv, ...)
{
	va_list		 ap;
	const char	*w;
	int		 i = 0;

	ck_assert_ptr_nonnull(argv);
	va_start(ap, argv);
	while ((w = va_arg(ap, const char *)) != NULL) {
		ck_assert_msg(argv[i] != NULL, "argv too short at %d", i);
		ck_assert_str_eq(argv[i], w);
		i++;
	}
	va_end(ap);
	ck_assert_msg(argv[i] == NULL, "argv too long: '%s'", argv[i]);
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
setup(void)
{
	const char	*tmp = getenv("TMPDIR");
	char		*t;

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	t = xprintf("%s/check_config.XXXXXX", tmp != NULL && *tmp == '/' ?
	    tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(t));
	dir = t;
	mainpath = xprintf("%s/main.ini", dir);
	diag_init(&d);
	conf = NULL;
	env.is_root = true;
	env.default_socket = "/run/drover.sock";
}

static void
teardown(void)
{
	config_free(conf);
	conf = NULL;
	diag_free(&d);
	if (chdir(cwd) != 0)
		abort();
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
	free(mainpath);
	strv_free(kept);
	kept = NULL;
}

/* --- the reader ---------------------------------------------------------- */

START_TEST(test_empty_file)
{
	LOAD_OK("");
	ck_assert_int_eq(conf->njobs, 0);
	NERRORS(0);
	WARNING_IS(fmt("%s: no jobs defined", mainpath));
	LOAD_OK("; only a comment\n# and another\n\n");
	ck_assert_int_eq(conf->njobs, 0);
}
END_TEST

START_TEST(test_missing_file)
{
	load_path(P("nope.ini"));
	ck_assert_ptr_null(conf);
	ERROR_IS(fmt("cannot open %s: No such file or directory",
	    P("nope.ini")));
	subdir("adir");
	load_path(P("adir"));
	ck_assert_ptr_null(conf);
	ERROR_IS(fmt("cannot read %s: is a directory", P("adir")));
}
END_TEST

START_TEST(test_garbage)
{
	char	buf[4096];
	size_t	i;
	unsigned seed = 12345;

	for (i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245 + 12345;
		buf[i] = (char)(seed >> 16);
	}
	write_bytes("main.ini", buf, sizeof(buf));
	load_path(mainpath);
	ck_assert_ptr_null(conf);
	ck_assert_int_gt(d.nerrors, 0);
}
END_TEST

START_TEST(test_nul_byte)
{
	const char	text[] = "[service:a]\ncommand = /bin/true\0x\n"
	    "stopsignal = INT\n";

	write_bytes("main.ini", text, sizeof(text) - 1);
	load_path(mainpath);
	ck_assert_ptr_null(conf);
	ERROR_IS(M(2, "NUL byte in line"));
	NERRORS(2);			/* and so: no command */
	ERROR_IS(M(1, "[service:a] has no command"));
}
END_TEST

START_TEST(test_bad_utf8)
{
	LOAD_BAD("[service:a]\ncommand = /bin/echo \xff\n");
	ERROR_IS(M(2, "invalid UTF-8"));
	LOAD_BAD("[service:a]\ncommand = /bin/true\n; \xc0\xaf overlong\n");
	ERROR_IS(M(3, "invalid UTF-8"));
	LOAD_BAD("[service:a]\ncommand = /bin/true\n; \xed\xa0\x80 surrogate\n");
	ERROR_IS(M(3, "invalid UTF-8"));
	LOAD_BAD("[service:a]\ncommand = /bin/echo \xe2\x82\n");
	ERROR_IS(M(2, "invalid UTF-8"));
	/* Valid UTF-8 is fine, in comments and values alike. */
	LOAD_OK("; 这里的日志 process’\n[service:a]\n"
	    "command = /bin/echo h\xc3\xa9llo \xf0\x9f\x98\x80\n");
	argv_is(J("a")->procs[0].argv, "/bin/echo", "h\xc3\xa9llo",
	    "\xf0\x9f\x98\x80", NULL);
}
END_TEST

START_TEST(test_syntax_errors)
{
	LOAD_BAD("command = /bin/true\n");
	ERROR_IS(M(1, "key outside of any [section]"));
	LOAD_BAD("  command = /bin/true\n    more\n[service:a]\n");
	ERROR_IS(M(1, "key outside of any [section]"));
	NERRORS(2);
	ERROR_IS(M(3, "[service:a] has no command"));
	LOAD_BAD("[service:a]\ncommand = /bin/true\njust words\n");
	ERROR_IS(M(3, "expected 'key = value', '[section]' or a comment"));
	NERRORS(1);
	LOAD_BAD("[service:a]\ncommand = /bin/true\n= value\n");
	ERROR_IS(M(3, "missing key name before '=' or ':'"));
	LOAD_BAD("[service:a\ncommand = /bin/true\n");
	ERROR_IS(M(1, "section header without ']'"));
	NERRORS(1);
	/* A comment before the delimiter hides it, as in configparser. */
	LOAD_BAD("[service:a]\ncommand ;= /bin/true\n");
	ERROR_IS(M(2, "expected 'key = value', '[section]' or a comment"));
	LOAD_OK("[service:a] junk\ncommand = /bin/true\n");
	WARNING_IS(M(1, "text after ']' ignored"));
}
END_TEST

START_TEST(test_syntax_variants)
{
	/* CRLF, a BOM, ':' as delimiter, upper case keys, no final
	 * newline, blanks everywhere. */
	LOAD_OK("\xef\xbb\xbf[service:a]\r\nCommand: /bin/echo  x  \r\n"
	    "[service:b]  \r\n\tcommand=/bin/echo y");
	argv_is(J("a")->procs[0].argv, "/bin/echo", "x", NULL);
	argv_is(J("b")->procs[0].argv, "/bin/echo", "y", NULL);
	NERRORS(0);
	/* An indented line after a key continues it, even "[x]" (as
	 * configparser has it). */
	LOAD_OK("[service:a]\ncommand = /bin/echo\n  [service:b]\n");
	argv_is(J("a")->procs[0].argv, "/bin/echo", "[service:b]", NULL);
	ck_assert_int_eq(conf->njobs, 1);
}
END_TEST

START_TEST(test_comments)
{
	LOAD_OK("[service:a] ; a comment\n"
	    "command = /bin/echo a;b c ; comment\n"
	    "autostart = false # comment too\n"
	    "# full line\n"
	    "  ; indented full line\n"
	    "[service:b]\n"
	    "command = /bin/sh -c 'x ; y' \"p # q\" ; real comment\n"
	    "environment = A=\"1 ; 2\",B='#' ; comment\n"
	    "[service:c]\n"
	    "command=;x #y\n");
	argv_is(J("a")->procs[0].argv, "/bin/echo", "a;b", "c", NULL);
	ck_assert(!J("a")->autostart);
	argv_is(J("b")->procs[0].argv, "/bin/sh", "-c", "x ; y", "p # q",
	    NULL);
	argv_is(J("b")->procs[0].env, "A=1 ; 2", "B=#", NULL);
	argv_is(J("c")->procs[0].argv, ";x", NULL);
}
END_TEST

START_TEST(test_continuation)
{
	LOAD_OK("[service:a]\n"
	    "command = /usr/bin/python3 -m uvicorn\n"
	    "    --fd 0\n"
	    "\n"
	    "    ; a comment inside\n"
	    "        --forwarded-allow-ips='*'   ; and inline\n"
	    "after = b,\n"
	    "  c\n"
	    "[service:b]\n"
	    "command = /bin/sh -c \" \\\n"
	    "    exec sleep 1 \\\n"
	    "    \"\n"
	    "environment = A=1,\n"
	    "\tB=\"x y\"\n"
	    "[service:c]\n"
	    "command = /bin/gunicorn app \\\n"
	    "    --bind=x \\\n"
	    "    --workers 3\n");
	argv_is(J("a")->procs[0].argv, "/usr/bin/python3", "-m", "uvicorn",
	    "--fd", "0", "--forwarded-allow-ips=*", NULL);
	argv_is(J("a")->after, "b", "c", NULL);
	argv_is(J("b")->procs[0].argv, "/bin/sh", "-c", "  exec sleep 1  ",
	    NULL);
	argv_is(J("b")->procs[0].env, "A=1", "B=x y", NULL);
	argv_is(J("c")->procs[0].argv, "/bin/gunicorn", "app", "--bind=x",
	    "--workers", "3", NULL);
	/* An unindented line is a new key, as in supervisord. */
	LOAD_BAD("[service:a]\ncommand = /bin/true\nenvironment = A=1,\n"
	    "B=2\n");
	ERROR_IS(M(4, "unknown key 'b' in [service:a]"));
}
END_TEST

/* A command line of exactly len bytes: "command = /bin/echo xxx...". */
static const char *
long_line(size_t len, char **word)
{
	const char	*head = "command = /bin/echo ";
	char		*s;

	s = xmalloc(len + 2);
	memcpy(s, head, strlen(head));
	memset(s + strlen(head), 'x', len - strlen(head));
	s[len] = '\n';
	s[len + 1] = '\0';
	*word = xstrndup(s + strlen(head), len - strlen(head));
	keep(*word);
	return keep(s);
}

START_TEST(test_long_lines)
{
	static const size_t	 lens[] = { 199, 200, 201, 5000, 65536 };
	char			*word;
	const char		*line;
	size_t			 i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		line = long_line(lens[i], &word);
		LOAD_OK(fmt("[service:a]\n%sstopsignal = INT\n"
		    "[service:b]\ncommand = /bin/true\n", line));
		argv_is(J("a")->procs[0].argv, "/bin/echo", word, NULL);
		ck_assert_int_eq(J("a")->stopsignal, SIGINT);
		ck_assert_int_eq(conf->njobs, 2);
		NERRORS(0);
	}
	/* A long value continued on the next line. */
	line = long_line(3000, &word);
	LOAD_OK(fmt("[service:a]\n%s  tail ; comment\nstopsignal = HUP\n",
	    line));
	argv_is(J("a")->procs[0].argv, "/bin/echo", word, "tail", NULL);
	ck_assert_int_eq(J("a")->stopsignal, SIGHUP);
}
END_TEST

START_TEST(test_line_too_long)
{
	char		*word;
	const char	*line = long_line(70000, &word);

	LOAD_BAD(fmt("[service:a]\ncommand = /bin/true\n%s    continued\n"
	    "stopsignal = INT\n", line));
	ERROR_IS(M(3, "line too long (70000 bytes, max 65536)"));
	NERRORS(1);
	/* Another long line, not a command: a comment. */
	LOAD_BAD(fmt("[service:a]\n;%s", line));
	ERROR_IS(M(2, "line too long (70001 bytes, max 65536)"));
}
END_TEST

START_TEST(test_long_names)
{
	char	name[151];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	LOAD_OK(fmt("[service:%s]\ncommand = /bin/true\n", name));
	ck_assert_str_eq(conf->jobs[0]->name, name);
	LOAD_BAD(fmt("[service:a]\n%s = 1\n", name));
	ERROR_IS(M(2, "unknown key '%s' in [service:a]", name));
}
END_TEST

START_TEST(test_too_many_errors)
{
	char	*s = xstrdup("[service:a]\ncommand = /bin/true\n"), *t;
	int	 i;

	for (i = 0; i < 150; i++) {
		t = xprintf("%sjunk\n", s);
		free(s);
		s = t;
	}
	LOAD_BAD(s);
	free(s);
	ERROR_IS(M(102, "too many errors; the rest of the file is skipped"));
	NERRORS(101);
}
END_TEST

/* --- sections ------------------------------------------------------------ */

START_TEST(test_unknown_sections)
{
	LOAD_BAD("[servce:web]\ncommand = /bin/true\n[drovr]\n[foo]\n"
	    "[service]\n[task:]\n[drover:x]\n");
	ERROR_IS(M(1, "unknown section [servce:web]; did you mean "
	    "[service:web]?"));
	ERROR_IS(M(3, "unknown section [drovr]; did you mean [drover]?"));
	ERROR_IS(M(4, "unknown section [foo]"));
	ERROR_IS(M(5, "section [service] needs a name: [service:NAME]"));
	ERROR_IS(M(6, "section [task] needs a name: [task:NAME]"));
	ERROR_IS(M(7, "section [drover] takes no name"));
	NERRORS(6);
}
END_TEST

START_TEST(test_bad_names)
{
	LOAD_BAD("[service:a b]\ncommand = /bin/true\n[task:a/b]\n"
	    "command = /bin/true\n[program:x:y]\ncommand = /bin/true\n");
	ERROR_IS(M(1, "[service:a b]: invalid name: it contains a blank or a "
	    "control character"));
	ERROR_IS(M(3, "[task:a/b]: invalid name: it contains '/'"));
	ERROR_IS(M(5, "[program:x:y]: invalid name: it contains ':'"));
}
END_TEST

START_TEST(test_duplicate_sections)
{
	LOAD_BAD("[service:web]\ncommand = /bin/true\n[service:web]\n"
	    "command = /bin/false\n[drover]\n[drover]\n");
	ERROR_IS(M(3, "duplicate section [service:web] (first at line 1)"));
	ERROR_IS(M(6, "duplicate section [drover] (first at line 5)"));
	NERRORS(2);
	/* supervisord's sections merge; the last value of a key wins. */
	LOAD_OK("[program:w]\ncommand = /bin/true\npriority = 5\n"
	    "[program:w]\ncommand = /bin/false\nautostart = false\n");
	WARNING_IS(M(4, "[program:w] repeated (first at line 1); merged, the "
	    "last value of a key wins"));
	NWARNINGS(1);
	argv_is(J("w")->procs[0].argv, "/bin/false", NULL);
	ck_assert_int_eq(J("w")->priority, 5);
	ck_assert(!J("w")->autostart);
}
END_TEST

START_TEST(test_ignored_sections)
{
	LOAD_OK("[unix_http_server]\nfile = /tmp/s.sock\nchmod = 0700\n"
	    "[inet_http_server]\nport = 127.0.0.1:9001\n"
	    "[supervisorctl]\nserverurl = unix:///tmp/s.sock\n"
	    "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = "
	    "supervisor.rpcinterface:make_main_rpcinterface\n"
	    "[ctlplugin:x]\nsupervisor.ctl_factory = x:y\n"
	    "[eventlistener:el]\ncommand = /bin/el\nevents = PROCESS_STATE\n"
	    "[fcgi-program:f]\ncommand = /bin/f\nsocket = tcp://x:1\n"
	    "[program:p]\ncommand = /bin/true\n");
	WARNING_IS(M(6, "[supervisorctl] is not used by drover (use "
	    "droverctl)"));
	WARNING_IS(M(8, "[rpcinterface:supervisor] is not used by drover "
	    "(drover's XML-RPC interface is built in)"));
	WARNING_IS(M(10, "[ctlplugin:x] is not used by drover (drover has no "
	    "supervisorctl plugins)"));
	WARNING_IS(M(15, "[fcgi-program:f] is not used by drover (FastCGI "
	    "programs are not supported); its jobs will not be started"));
	NWARNINGS(4);		/* [eventlistener:el] runs: it is a job */
	ck_assert_int_eq(conf->njobs, 2);
	ck_assert(conf->http_unix.on);
	ck_assert_str_eq(conf->http_unix.path, "/tmp/s.sock");
	ck_assert_int_eq(conf->http_unix.mode, 0700);
	ck_assert_str_eq(conf->http_inet.host, "127.0.0.1");
	ck_assert_int_eq(conf->http_inet.port, 9001);
}
END_TEST

/* result_handler: the default, a Python one (warned, every RESULT taken
 * as OK), and a value that is not MODULE:FUNCTION. */
/* [unix_http_server] without file= is not served (a conf.d fragment);
 * [inet_http_server] off loopback without a password is refused. */
START_TEST(test_http_sections)
{
	LOAD_OK("[unix_http_server]\nchmod = 0770\n[program:a]\n"
	    "command = /bin/a\n");
	WARNING_IS(M(1, "[unix_http_server] has no file = (a socket path): "
	    "not served"));
	ck_assert(!conf->http_unix.on);
	LOAD_BAD("[inet_http_server]\nport = 0.0.0.0:9001\n");
	ERROR_IS(M(2, "[inet_http_server] port = 0.0.0.0:9001 is not a "
	    "loopback address: set username and password (or listen on "
	    "127.0.0.1)"));
	LOAD_OK("[inet_http_server]\nport = 0.0.0.0:9001\nusername = u\n"
	    "password = {SHA}0123456789abcdef0123456789abcdef01234567\n");
	ck_assert_str_eq(conf->http_inet.host, "0.0.0.0");
	ck_assert_int_eq(conf->http_inet.port, 9001);
	LOAD_BAD("[drover]\nhttp_listen = 10.0.0.1:80\n");
	ERROR_IS(M(2, "http_listen = 10.0.0.1:80 is not a loopback address: "
	    "set http_username and http_password (or listen on 127.0.0.1)"));
	LOAD_OK("[drover]\nhttp_socket = /tmp/x.sock\nhttp_socket_mode = "
	    "0770\n[unix_http_server]\nfile = /tmp/y.sock\n");
	ck_assert_str_eq(conf->http_unix.path, "/tmp/x.sock");
	ck_assert_int_eq(conf->http_unix.mode, 0770);
}
END_TEST

START_TEST(test_result_handler)
{
	LOAD_OK("[eventlistener:d]\ncommand = /bin/el\nevents = EVENT\n"
	    "result_handler = supervisor.dispatchers:default_handler\n"
	    "[eventlistener:s]\ncommand = /bin/el\nevents = EVENT\n"
	    "result_handler = supervisor_stdout:event_handler\n");
	WARNING_IS(M(8, "result_handler: drover runs no Python handler "
	    "'supervisor_stdout:event_handler'; every RESULT is taken as OK"));
	ck_assert(!J("d")->result_any);
	ck_assert(J("s")->result_any);
	LOAD_BAD("[eventlistener:x]\ncommand = /bin/el\nevents = EVENT\n"
	    "result_handler = nohandler\n");
	NERRORS(1);
}
END_TEST

START_TEST(test_supervisord_section)
{
	LOAD_OK("[supervisord]\nnodaemon = true\nlogfile = /var/log/s.log\n"
	    "loglevel = warn\nminfds = 1024\nhttp_port = x\nuser = root\n"
	    "pidfile = %(here)s/s.pid\nenvironment = A=\"1\",B=2\n"
	    "childlogdir = /tmp\nstrip_ansi = true\n[program:p]\n"
	    "command = /bin/true\n");
	WARNING_IS(M(3, "logfile: drover logs to stderr or to the journal; "
	    "ignored"));
	WARNING_IS(M(5, "minfds: set limit_nofile on the jobs; ignored"));
	WARNING_IS(M(6, "unknown key 'http_port' in [supervisord] (ignored)"));
	WARNING_IS(M(7, "user: drover does not change its own user; ignored"));
	WARNING_IS(M(10, "childlogdir: AUTO output goes to drover's log; "
	    "ignored"));
	WARNING_IS(M(11, "strip_ansi: drover escapes control characters in "
	    "its log; ignored"));
	NWARNINGS(6);
	ck_assert_int_eq(conf->log_level, 4);	/* LOG_WARNING */
	ck_assert_str_eq(conf->pidfile, P("s.pid"));
	argv_is(conf->environment, "A=1", "B=2", NULL);
	LOAD_OK("[supervisord]\nnodaemon = false\n[program:p]\n"
	    "command = /bin/true\n");
	WARNING_IS(M(2, "nodaemon: drover never daemonizes; ignored"));
	/* [drover] wins over [supervisord], whatever their order. */
	LOAD_OK("[drover]\nlog_level = debug\n[supervisord]\nloglevel = error\n"
	    "[program:p]\ncommand = /bin/true\n");
	ck_assert_int_eq(conf->log_level, 7);	/* LOG_DEBUG */
}
END_TEST

/* --- keys ---------------------------------------------------------------- */

START_TEST(test_unknown_keys)
{
	LOAD_BAD("[drover]\nshutdown_timout = 5s\nloglevel = info\n"
	    "[service:a]\ncomand = /bin/true\ncommand = /bin/true\n"
	    "stdout_event_enabled = true\nbogus = 1\n"
	    "[group:g]\nprograms = a\nmax_concurent = 1\n");
	ERROR_IS(M(2, "unknown key 'shutdown_timout' in [drover]; did you mean "
	    "'shutdown_timeout'?"));
	ERROR_IS(M(3, "unknown key 'loglevel' in [drover]; did you mean "
	    "'log_level'?"));
	ERROR_IS(M(5, "unknown key 'comand' in [service:a]; did you mean "
	    "'command'?"));
	ERROR_IS(M(7, "unknown key 'stdout_event_enabled' in [service:a]; did "
	    "you mean 'stdout_events_enabled'?"));
	ERROR_IS(M(8, "unknown key 'bogus' in [service:a]"));
	ERROR_IS(M(11, "unknown key 'max_concurent' in [group:g]; did you "
	    "mean 'max_concurrent'?"));
	NERRORS(6);
	/* In [program:x] the same keys are warnings. */
	LOAD_OK("[program:a]\ncomand = /bin/true\ncommand = /bin/true\n"
	    "stdout_events_enabled = true\nstdout_capture_maxbytes = 1MB\n"
	    "stdout_syslog = true\nserverurl = AUTO\n");
	WARNING_IS(M(2, "unknown key 'comand' in [program:a] (ignored); did "
	    "you mean 'command'?"));
	ck_assert(J("a")->stdout_events);	/* a key now: PROCESS_LOG */
	/* a key now: capture mode (PROCESS_COMMUNICATION) */
	ck_assert_uint_eq(J("a")->capture_max[0], 1024 * 1024);
	WARNING_IS(M(6, "stdout_syslog: use stdout_logfile = syslog (or "
	    "stdout = journal); ignored"));
	WARNING_IS(M(7, "serverurl: drover sets SUPERVISOR_SERVER_URL to its "
	    "own [unix_http_server] or [inet_http_server]; ignored"));
}
END_TEST

START_TEST(test_capture_maxbytes)
{
	LOAD_OK("[service:a]\ncommand = /bin/true\n"
	    "stderr_capture_maxbytes = 64KB\n");
	ck_assert_uint_eq(J("a")->capture_max[0], 0);
	ck_assert_uint_eq(J("a")->capture_max[1], 64 * 1024);
	LOAD_BAD("[service:a]\ncommand = /bin/true\n"
	    "stdout_capture_maxbytes = lots\n");
	ERROR_IS(M(3, "stdout_capture_maxbytes: invalid value 'lots' "
	    "(expected a size like 1MB (at most 1GB), or 0)"));
}
END_TEST

START_TEST(test_hooks)
{
	LOAD_OK("[service:w]\ncommand = /bin/true\nnumprocs = 2\n"
	    "on_fatal = /bin/echo %(program_name)s %(process_num)d\n"
	    "hook_timeout = 5s\npriority = 7\n");
	ck_assert_str_eq(J("w")->hooks[HOOK_FATAL], "w.on_fatal");
	ck_assert_ptr_null(J("w")->hooks[HOOK_EXIT]);
	ck_assert_int_eq(J("w.on_fatal")->kind, JOB_TASK);
	ck_assert(!J("w.on_fatal")->autostart);
	ck_assert_int_eq(J("w.on_fatal")->timeout, 5000);
	ck_assert_int_eq(J("w.on_fatal")->priority, 7);
	ck_assert_str_eq(J("w.on_fatal")->hook_of, "w");
	ck_assert_int_eq(J("w.on_fatal")->nprocs, 2);
	ck_assert_str_eq(J("w.on_fatal")->procs[1].name, "w_1.on_fatal");
	argv_is(J("w.on_fatal")->procs[1].argv, "/bin/echo", "w", "1", NULL);
	ck_assert_ptr_null(J("w.on_fatal")->hooks[HOOK_FATAL]);
}
END_TEST

START_TEST(test_duplicate_keys)
{
	LOAD_BAD("[service:a]\ncommand = /bin/true\ncommand = /bin/false\n");
	ERROR_IS(M(3, "duplicate key 'command' (first at line 2)"));
	LOAD_BAD("[drover]\nsocket = none\nsocket = none\n");
	ERROR_IS(M(3, "duplicate key 'socket' (first at line 2)"));
	LOAD_OK("[program:a]\ncommand = /bin/true\ncommand = /bin/false\n");
	WARNING_IS(M(3, "command repeated (first at line 2); the last value "
	    "wins"));
	argv_is(J("a")->procs[0].argv, "/bin/false", NULL);
}
END_TEST

START_TEST(test_wrong_kind_keys)
{
	LOAD_BAD("[service:s]\ncommand = /bin/true\ninterval = 1m\n"
	    "retries = 2\nshield = true\ntimeout = 5s\n"
	    "[task:t]\ncommand = /bin/true\nautorestart = true\n"
	    "[cleanup:c]\ncommand = /bin/true\ntimeout = 5s\n"
	    "autorestart = false\ninterval = 1m\n");
	ERROR_IS(M(3, "interval: only valid in [task:x]"));
	ERROR_IS(M(4, "retries: only valid in [task:x]"));
	ERROR_IS(M(5, "shield: only valid in [task:x]"));
	ERROR_IS(M(6, "timeout: only valid in [task:x] and [cleanup:x]"));
	ERROR_IS(M(9, "autorestart: not valid in [task:x]; use retries"));
	ERROR_IS(M(13, "autorestart: not valid in [cleanup:x], which runs "
	    "once"));
	ERROR_IS(M(14, "interval: only valid in [task:x]"));
	NERRORS(7);
	LOAD_OK("[program:p]\ncommand = /bin/true\ninterval = 1m\n");
	WARNING_IS(M(3, "interval: only valid in [task:x]; ignored"));
	ck_assert_int_eq(J("p")->interval, 0);
}
END_TEST

/* schedule = and its companions: bad input first. */
START_TEST(test_schedule_keys)
{
	struct job_config	*j;

	LOAD_BAD("[task:a]\ncommand = /bin/true\nschedule = 61 * * * *\n"
	    "[task:b]\ncommand = /bin/true\nschedule = @daily\n"
	    "interval = 5s\n"
	    "[task:c]\ncommand = /bin/true\nschedule = @daily\n"
	    "timezone = Nowhere/Land\noverlap = later\n"
	    "random_delay = soon\ncatch_up = maybe\n"
	    "[task:d]\ncommand = /bin/true\ntimezone = UTC\n"
	    "[service:e]\ncommand = /bin/true\nschedule = @daily\n"
	    "[drover]\nstate_file =\n");
	ERROR_IS(M(3, "schedule: invalid calendar expression '61 * * * *': "
	    "field 1 (minute): out of range 0-59 in \"61\""));
	ERROR_IS(M(6, "schedule: schedule and interval (line 7) may not both "
	    "be set"));
	ERROR_IS(M(11, "timezone: invalid value 'Nowhere/Land' (expected a "
	    "zone of the time zone database like Europe/Berlin or UTC)"));
	ERROR_IS(M(12, "overlap: invalid value 'later' (expected skip, queue "
	    "or cancel-previous)"));
	ERROR_IS(M(13, "random_delay: invalid value 'soon' (expected a "
	    "duration like 30s, 1m30s or 250ms)"));
	ERROR_IS(M(14, "catch_up: invalid value 'maybe' (expected true or "
	    "false)"));
	ERROR_IS(M(17, "timezone: is only valid with schedule"));
	ERROR_IS(M(20, "schedule: only valid in [task:x]"));
	ERROR_IS(M(22, "state_file: invalid value '' (expected a path, or "
	    "none)"));
	NERRORS(9);
	LOAD_OK("[task:t]\ncommand = /bin/true\nschedule = */7 9-17 * * "
	    "mon-fri\ntimezone = Europe/Berlin\noverlap = cancel-previous\n"
	    "random_delay = 1m30s\ncatch_up = yes\n"
	    "[task:u]\ncommand = /bin/true\n"
	    "[drover]\nstate_file = none\n");
	j = J("t");
	ck_assert_str_eq(j->schedule, "*/7 9-17 * * mon-fri");
	ck_assert_str_eq(j->timezone, "Europe/Berlin");
	ck_assert_int_eq(j->overlap, OVERLAP_CANCEL);
	ck_assert_int_eq(j->random_delay, 90000);
	ck_assert(j->catch_up);
	ck_assert_uint_eq(j->cal.c_wday, 0x3e);
	j = J("u");
	ck_assert_ptr_null(j->schedule);
	ck_assert_ptr_null(j->timezone);
	ck_assert_int_eq(j->overlap, OVERLAP_SKIP);
	ck_assert_int_eq(j->random_delay, 0);
	ck_assert(!j->catch_up);
	ck_assert(conf->state_file_none);
	ck_assert_ptr_null(conf->state_file);
}
END_TEST

START_TEST(test_service_defaults)
{
	struct job_config	*j;

	LOAD_OK("[service:web]\ncommand = /bin/web\n");
	j = J("web");
	ck_assert_int_eq(j->kind, JOB_SERVICE);
	ck_assert(!j->compat);
	ck_assert_str_eq(j->file, mainpath);
	ck_assert_int_eq(j->line, 1);
	ck_assert_ptr_null(j->group);
	ck_assert_int_eq(j->nprocs, 1);
	ck_assert_str_eq(j->procs[0].name, "web");
	ck_assert_int_eq(j->procs[0].num, 0);
	ck_assert_ptr_null(j->procs[0].env);
	ck_assert_ptr_null(j->procs[0].directory);
	ck_assert_int_eq(j->procs[0].out.kind, SINK_LOG);
	ck_assert_int_eq(j->procs[0].err.kind, SINK_LOG);
	ck_assert_uint_eq(j->procs[0].out.maxbytes, 50 * 1024 * 1024);
	ck_assert_int_eq(j->procs[0].out.backups, 10);
	ck_assert(!j->procs[0].redirect_stderr);
	ck_assert_ptr_null(j->user);
	ck_assert_int_eq(j->umask, -1);
	ck_assert(!j->clean_environment);
	ck_assert(j->autostart);
	ck_assert_int_eq(j->autorestart, AR_UNEXPECTED);
	ck_assert(job_exitcode_expected(j, 0));
	ck_assert(!job_exitcode_expected(j, 1));
	ck_assert_int_eq(j->startsecs, 1000);
	ck_assert_int_eq(j->startretries, 3);
	ck_assert_int_eq(j->retries, 0);
	ck_assert_int_eq(j->backoff, 1000);
	ck_assert_int_eq(j->backoff_max, 60000);
	ck_assert_int_eq(j->stopsignal, SIGTERM);
	ck_assert_int_eq(j->stopwaitsecs, 10000);
	ck_assert_int_eq(j->killmode, KM_MIXED);
	ck_assert_int_eq(j->priority, 999);
	ck_assert_ptr_null(j->after);
	ck_assert_ptr_null(j->before);
	ck_assert_int_eq(j->ready, READY_STARTSECS);
	ck_assert_int_eq(j->start_timeout, 90000);
	ck_assert_int_eq(j->timeout, 0);
	ck_assert_int_eq(j->interval, 0);
	ck_assert(!j->shield);
	ck_assert(!j->critical);
	ck_assert(!j->limit_nofile.set);
	ck_assert(!j->limit_core.set);
	ck_assert(!j->limit_nproc.set);
	ck_assert(!j->limit_as.set);
}
END_TEST

START_TEST(test_other_defaults)
{
	struct job_config	*j;

	LOAD_OK("[program:p]\ncommand = /bin/p\n[task:t]\ncommand = /bin/t\n"
	    "[cleanup:c]\ncommand = /bin/c\ntimeout = 30s\n");
	j = J("p");
	ck_assert_int_eq(j->kind, JOB_SERVICE);
	ck_assert(j->compat);
	ck_assert_int_eq(j->autorestart, AR_UNEXPECTED);
	ck_assert_int_eq(j->ready, READY_STARTSECS);
	ck_assert_int_eq(j->killmode, KM_MIXED);
	ck_assert_str_eq(j->procs[0].name, "p");
	j = J("t");
	ck_assert_int_eq(j->kind, JOB_TASK);
	ck_assert_int_eq(j->ready, READY_STARTED);
	ck_assert_int_eq(j->autorestart, AR_FALSE);
	ck_assert_int_eq(j->retries, 0);
	ck_assert_int_eq(j->timeout, 0);
	ck_assert(j->autostart);
	j = J("c");
	ck_assert_int_eq(j->kind, JOB_CLEANUP);
	ck_assert_int_eq(j->ready, READY_STARTED);
	ck_assert_int_eq(j->timeout, 30000);
	ck_assert_str_eq(job_kind_name(JOB_SERVICE), "service");
	ck_assert_str_eq(job_kind_name(JOB_TASK), "task");
	ck_assert_str_eq(job_kind_name(JOB_CLEANUP), "cleanup");
}
END_TEST

START_TEST(test_drover_defaults)
{
	LOAD_OK("[service:a]\ncommand = /bin/true\n");
	ck_assert_str_eq(conf->path, mainpath);
	ck_assert_int_eq(conf->shutdown_timeout, 30000);
	ck_assert_int_eq(conf->max_concurrent, 0);
	ck_assert_str_eq(conf->socket, "/run/drover.sock");
	ck_assert_int_eq(conf->socket_mode, 0600);
	ck_assert_ptr_null(conf->socket_group);
	ck_assert_int_eq(conf->log_level, -1);
	ck_assert_ptr_null(conf->pidfile);
	ck_assert_ptr_null(conf->environment);
	ck_assert_int_eq(conf->ngroups, 0);
}
END_TEST

START_TEST(test_drover_keys)
{
	LOAD_BAD("[drover]\nshutdown_timeout = soon\nmax_concurrent = -1\n"
	    "socket_mode = 0999\nsocket_group = nosuchgroup_x\n"
	    "log_level = loud\npidfile = /nonexistent/d/p.pid\n"
	    "environment = 1A=x\nsocket = /x/"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
	ERROR_IS(M(2, "shutdown_timeout: invalid value 'soon' (expected a "
	    "duration like 30s, 1m30s or 250ms)"));
	ERROR_IS(M(3, "max_concurrent: invalid value '-1' (expected a whole "
	    "number, 0 or more)"));
	ERROR_IS(M(4, "socket_mode: invalid value '0999' (expected an octal "
	    "mode like 0660)"));
	ERROR_IS(M(5, "socket_group: unknown group 'nosuchgroup_x'"));
	ERROR_IS(M(6, "log_level: invalid value 'loud' (expected debug, info, "
	    "notice, warning or error)"));
	ERROR_IS(M(7, "pidfile: directory /nonexistent/d does not exist"));
	ERROR_IS(M(8, "environment: invalid environment variable name '1A'"));
	ERROR_IS(M(9, "socket: path too long for a unix socket (127 bytes, "
	    "max 107)"));
	NERRORS(8);
	LOAD_OK("[drover]\nshutdown_timeout = 1m30s\nmax_concurrent = 4\n"
	    "socket = run/d.sock\nsocket_mode = 660\nsocket_group = root\n"
	    "log_level = notice\npidfile = /tmp/d.pid\n"
	    "environment = A=1, B=\"two words\"\n[service:a]\n"
	    "command = /bin/true\n");
	ck_assert_int_eq(conf->shutdown_timeout, 90000);
	ck_assert_int_eq(conf->max_concurrent, 4);
	ck_assert_str_eq(conf->socket, P("run/d.sock"));
	ck_assert_int_eq(conf->socket_mode, 0660);
	ck_assert_str_eq(conf->socket_group, "root");
	ck_assert_int_eq(conf->socket_gid, 0);
	ck_assert_int_eq(conf->log_level, 5);	/* LOG_NOTICE */
	ck_assert_str_eq(conf->pidfile, "/tmp/d.pid");
	argv_is(conf->environment, "A=1", "B=two words", NULL);
	LOAD_OK("[drover]\nsocket = none\n[service:a]\ncommand = /bin/true\n");
	ck_assert_ptr_null(conf->socket);
}
END_TEST

START_TEST(test_value_types)
{
	struct job_config	*j;

	LOAD_OK("[service:a]\ncommand = /bin/true\nautostart = off\n"
	    "clean_environment = YES\ncritical = 1\nstartsecs = 10\n"
	    "stopwaitsecs = 1m30s\nbackoff = 250ms\nbackoff_max = 2m\n"
	    "start_timeout = 1.5\nstopsignal = SIGINT\nstartretries = 10\n"
	    "priority = -5\nafter = b c,d\nbefore = e\nready = notify\n"
	    "killmode = group\numask = 022\nexitcodes = 0,2, 255\n"
	    "autorestart = true\nlimit_nofile = 4096\nlimit_core = infinity\n"
	    "limit_nproc = 100\nlimit_as = 1GB\n"
	    "stdout_logfile_maxbytes = 10KB\nstdout_logfile_backups = 3\n"
	    "stdout = file:out.log\n"
	    "[service:b]\ncommand = /bin/true\nstopsignal = 15\n"
	    "startretries = infinite\nautorestart = unexpected\n"
	    "ready = started\nkillmode = process\n[service:c]\n"
	    "command = /bin/true\n[service:d]\ncommand = /bin/true\n"
	    "[service:e]\ncommand = /bin/true\nstopsignal = hup\n"
	    "autorestart = no\n"
	    "[task:t]\ncommand = /bin/true\nretries = 2\ninterval = 1h\n"
	    "timeout = 10m\nshield = true\n");
	j = J("a");
	ck_assert(!j->autostart);
	ck_assert(j->clean_environment);
	ck_assert(j->critical);
	ck_assert_int_eq(j->startsecs, 10000);
	ck_assert_int_eq(j->stopwaitsecs, 90000);
	ck_assert_int_eq(j->backoff, 250);
	ck_assert_int_eq(j->backoff_max, 120000);
	ck_assert_int_eq(j->start_timeout, 1500);
	ck_assert_int_eq(j->stopsignal, SIGINT);
	ck_assert_int_eq(j->startretries, 10);
	ck_assert_int_eq(j->priority, -5);
	argv_is(j->after, "b", "c", "d", NULL);
	argv_is(j->before, "e", NULL);
	ck_assert_int_eq(j->ready, READY_NOTIFY);
	ck_assert_int_eq(j->killmode, KM_GROUP);
	ck_assert_int_eq(j->umask, 022);
	ck_assert(job_exitcode_expected(j, 0));
	ck_assert(job_exitcode_expected(j, 2));
	ck_assert(job_exitcode_expected(j, 255));
	ck_assert(!job_exitcode_expected(j, 1));
	ck_assert(!job_exitcode_expected(j, 256));
	ck_assert(!job_exitcode_expected(j, -1));
	ck_assert_int_eq(j->autorestart, AR_TRUE);
	ck_assert(j->limit_nofile.set);
	ck_assert_uint_eq(j->limit_nofile.value, 4096);
	ck_assert_uint_eq(j->limit_core.value, LIMIT_INFINITY);
	ck_assert_uint_eq(j->limit_nproc.value, 100);
	ck_assert_uint_eq(j->limit_as.value, 1024ULL * 1024 * 1024);
	ck_assert_int_eq(j->procs[0].out.kind, SINK_FILE);
	ck_assert_str_eq(j->procs[0].out.path, P("out.log"));
	ck_assert_uint_eq(j->procs[0].out.maxbytes, 10240);
	ck_assert_int_eq(j->procs[0].out.backups, 3);
	j = J("b");
	ck_assert_int_eq(j->stopsignal, SIGTERM);
	ck_assert_int_eq(j->startretries, -1);
	ck_assert_int_eq(j->autorestart, AR_UNEXPECTED);
	ck_assert_int_eq(j->ready, READY_STARTED);
	ck_assert_int_eq(j->killmode, KM_PROCESS);
	ck_assert_int_eq(J("e")->stopsignal, SIGHUP);
	ck_assert_int_eq(J("e")->autorestart, AR_FALSE);
	j = J("t");
	ck_assert_int_eq(j->retries, 2);
	ck_assert_int_eq(j->interval, 3600000);
	ck_assert_int_eq(j->timeout, 600000);
	ck_assert(j->shield);
}
END_TEST

START_TEST(test_bad_values)
{
	LOAD_BAD("[service:a]\ncommand = /bin/true\nautostart = maybe\n"
	    "startsecs = 5x\nstopsignal = SIGFOO\nstartretries = many\n"
	    "numprocs = 0\numask = 8\nexitcodes = 0,256\nautorestart = often\n"
	    "killmode = all\nready = soon\nlimit_nofile = lots\n"
	    "stdout_logfile_maxbytes = big\npriority = high\n"
	    "stdout_logfile_backups = -1\nnumprocs_start = x\n"
	    "stopasgroup = perhaps\nredirect_stderr = 2\n");
	ERROR_IS(M(3, "autostart: invalid value 'maybe' (expected true or "
	    "false)"));
	ERROR_IS(M(4, "startsecs: invalid value '5x' (expected a duration like "
	    "30s, 1m30s or 250ms)"));
	ERROR_IS(M(5, "stopsignal: invalid value 'SIGFOO' (expected a signal "
	    "like TERM, INT, HUP or QUIT)"));
	ERROR_IS(M(6, "startretries: invalid value 'many' (expected a whole "
	    "number, 0 or more, or infinite)"));
	ERROR_IS(M(7, "numprocs: invalid value '0' (expected a number from 1 "
	    "to 10000)"));
	ERROR_IS(M(8, "umask: invalid value '8' (expected an octal mask like "
	    "022)"));
	ERROR_IS(M(9, "exitcodes: invalid value '0,256' (expected a list of "
	    "exit codes from 0 to 255)"));
	ERROR_IS(M(10, "autorestart: invalid value 'often' (expected true, "
	    "false or unexpected)"));
	ERROR_IS(M(11, "killmode: invalid value 'all' (expected mixed, group "
	    "or process)"));
	ERROR_IS(M(12, "ready: invalid value 'soon' (expected started, "
	    "startsecs or notify)"));
	ERROR_IS(M(13, "limit_nofile: invalid value 'lots' (expected a number, "
	    "a size like 64MB, or infinity)"));
	ERROR_IS(M(14, "stdout_logfile_maxbytes: invalid value 'big' (expected "
	    "a size like 50MB, or 0)"));
	ERROR_IS(M(15, "priority: invalid value 'high' (expected a whole "
	    "number)"));
	ERROR_IS(M(16, "stdout_logfile_backups: invalid value '-1' (expected a "
	    "number from 0 to 1000)"));
	ERROR_IS(M(17, "numprocs_start: invalid value 'x' (expected a number "
	    "from 0 to 1000000)"));
	ERROR_IS(M(18, "stopasgroup: invalid value 'perhaps' (expected true or "
	    "false)"));
	ERROR_IS(M(19, "redirect_stderr: invalid value '2' (expected true or "
	    "false)"));
	NERRORS(17);
}
END_TEST

START_TEST(test_long_bad_value)
{
	char	v[200];

	memset(v, 'v', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	LOAD_BAD(fmt("[service:a]\ncommand = /bin/true\nstartsecs = %s\n", v));
	ERROR_IS(M(3, "startsecs: invalid value '%.60s...' (expected a "
	    "duration like 30s, 1m30s or 250ms)", v));
}
END_TEST

START_TEST(test_command_errors)
{
	LOAD_BAD("[service:a]\ncommand = /bin/echo 'oops\n[service:b]\n"
	    "command =\n[service:c]\nautostart = true\n[service:d]\n"
	    "command = /bin/true\nenvironment = A=\"x\n");
	ERROR_IS(M(2, "command: unterminated single quote"));
	ERROR_IS(M(4, "command: empty command"));
	ERROR_IS(M(5, "[service:c] has no command"));
	ERROR_IS(M(9, "environment: unterminated double quote in value of A"));
	NERRORS(4);
}
END_TEST

START_TEST(test_job_rules)
{
	LOAD_BAD("[cleanup:c]\ncommand = /bin/true\n"
	    "[task:t]\ncommand = /bin/true\nshield = true\n"
	    "[service:s]\ncommand = /bin/true\nbackoff = 2m\n"
	    "backoff_max = 1m\n"
	    "[program:p]\ncommand = /bin/true\nstopasgroup = true\n"
	    "killasgroup = false\n");
	ERROR_IS(M(1, "[cleanup:c] has no timeout (a cleanup job is shielded "
	    "from cancellation, only its timeout bounds it)"));
	ERROR_IS(M(5, "shield: shield = true requires a timeout"));
	ERROR_IS(M(9, "backoff_max: is less than backoff"));
	ERROR_IS(M(13, "killasgroup: cannot be false when stopasgroup is true "
	    "(as in supervisord)"));
	NERRORS(4);
	/* backoff above the default backoff_max raises it. */
	LOAD_OK("[service:s]\ncommand = /bin/true\nbackoff = 2m\n");
	ck_assert_int_eq(J("s")->backoff_max, 120000);
}
END_TEST

START_TEST(test_killmode_mapping)
{
	LOAD_OK("[program:a]\ncommand = /bin/true\nstopasgroup = true\n"
	    "[program:b]\ncommand = /bin/true\nkillasgroup = true\n"
	    "[program:c]\ncommand = /bin/true\nstopasgroup = true\n"
	    "killmode = process\n[program:d]\ncommand = /bin/true\n"
	    "stopasgroup = false\nkillasgroup = false\n"
	    "[service:e]\ncommand = /bin/true\nstopasgroup = true\n"
	    "killasgroup = true\n");
	ck_assert_int_eq(J("a")->killmode, KM_GROUP);
	ck_assert_int_eq(J("b")->killmode, KM_MIXED);
	ck_assert_int_eq(J("c")->killmode, KM_PROCESS);
	ck_assert_int_eq(J("d")->killmode, KM_MIXED);
	ck_assert_int_eq(J("e")->killmode, KM_GROUP);
}
END_TEST

START_TEST(test_output)
{
	struct proc_config	*p;

	LOAD_BAD("[service:a]\ncommand = /bin/true\nstdout = console\n"
	    "[service:z]\ncommand = /bin/true\n"
	    "stderr = file:/nonexistent/x/err.log\n[service:b]\n"
	    "command = /bin/true\nstdout = log\nstdout_logfile = AUTO\n"
	    "[service:c]\ncommand = /bin/true\nredirect_stderr = true\n"
	    "stderr = null\n[program:d]\ncommand = /bin/true\n"
	    "stdout_logfile =\n");
	ERROR_IS(M(3, "stdout: invalid value 'console' (expected log, "
	    "journal, null, inherit or file:PATH)"));
	ERROR_IS(M(6, "stderr: directory /nonexistent/x does not exist"));
	ERROR_IS(M(10, "stdout_logfile: conflicts with stdout (line 9); give "
	    "one of them"));
	ERROR_IS(M(14, "stderr: conflicts with redirect_stderr = true"));
	ERROR_IS(M(17, "stdout_logfile: invalid value '' (expected a file "
	    "name, AUTO, NONE or syslog)"));
	NERRORS(5);
	LOAD_OK("[service:a]\ncommand = /bin/true\nstdout = journal\n"
	    "stderr = inherit\n[service:b]\ncommand = /bin/true\n"
	    "stdout = null\nstderr = file:/tmp/b.err\n"
	    "stderr_logfile_maxbytes = 0\nstderr_logfile_backups = 0\n"
	    "[program:c]\ncommand = /bin/true\nstdout_logfile = NONE\n"
	    "stderr_logfile = syslog\n[program:d]\ncommand = /bin/true\n"
	    "stdout_logfile = /dev/stdout\nstdout_logfile_maxbytes = 5MB\n"
	    "redirect_stderr = true\nstderr_logfile = /tmp/ignored.log\n"
	    "[program:e]\ncommand = /bin/true\nstdout_logfile = auto\n"
	    "stderr_logfile = logs.txt\n");
	WARNING_IS(M(20, "stderr_logfile: redirect_stderr is true, so this "
	    "file is ignored (as in supervisord)"));
	p = &J("a")->procs[0];
	ck_assert_int_eq(p->out.kind, SINK_JOURNAL);
	ck_assert_int_eq(p->err.kind, SINK_INHERIT);
	p = &J("b")->procs[0];
	ck_assert_int_eq(p->out.kind, SINK_NULL);
	ck_assert_int_eq(p->err.kind, SINK_FILE);
	ck_assert_str_eq(p->err.path, "/tmp/b.err");
	ck_assert_uint_eq(p->err.maxbytes, 0);
	ck_assert_int_eq(p->err.backups, 0);
	p = &J("c")->procs[0];
	ck_assert_int_eq(p->out.kind, SINK_NULL);
	ck_assert_int_eq(p->err.kind, SINK_JOURNAL);
	p = &J("d")->procs[0];
	ck_assert(p->redirect_stderr);
	ck_assert_int_eq(p->out.kind, SINK_FILE);
	ck_assert_str_eq(p->out.path, "/dev/stdout");
	ck_assert_uint_eq(p->out.maxbytes, 0);		/* a device */
	ck_assert_int_eq(p->err.kind, SINK_FILE);
	ck_assert_str_eq(p->err.path, "/dev/stdout");
	p = &J("e")->procs[0];
	ck_assert_int_eq(p->out.kind, SINK_LOG);
	ck_assert_str_eq(p->err.path, P("logs.txt"));
}
END_TEST

START_TEST(test_users)
{
	struct passwd	*pw;

	LOAD_BAD("[service:a]\ncommand = /bin/true\nuser = nosuchuser_x\n"
	    "[service:b]\ncommand = /bin/true\nuser = root:nosuchgroup_x\n"
	    "[service:c]\ncommand = /bin/true\nuser = :root\n");
	ERROR_IS(M(3, "user: unknown user 'nosuchuser_x'"));
	ERROR_IS(M(6, "user: unknown group 'nosuchgroup_x'"));
	ERROR_IS(M(9, "user: invalid value ':root' (expected a user name, or "
	    "user:group)"));
	NERRORS(3);
	LOAD_OK("[service:a]\ncommand = /bin/true\nuser = root\n"
	    "[service:b]\ncommand = /bin/true\nuser = root:root\n"
	    "[service:c]\ncommand = /bin/true\nuser = 0\n");
	ck_assert_str_eq(J("a")->user, "root");
	ck_assert_int_eq(J("a")->uid, 0);
	ck_assert_int_eq(J("a")->gid, 0);
	ck_assert_int_eq(J("b")->gid, 0);
	ck_assert_int_eq(J("c")->uid, 0);
	/* Not root: only drover's own user is allowed. */
	if ((pw = getpwnam("nobody")) == NULL || pw->pw_uid == geteuid())
		return;
	env.is_root = false;
	LOAD_BAD("[service:a]\ncommand = /bin/true\nuser = nobody\n");
	ERROR_IS(M(3, "user: drover does not run as root, so it cannot run "
	    "jobs as 'nobody'"));
}
END_TEST

START_TEST(test_numprocs)
{
	struct job_config	*j;

	LOAD_BAD("[program:p]\ncommand = /bin/true\nnumprocs = 2\n"
	    "[service:s]\ncommand = /bin/true\nnumprocs = 2\n"
	    "process_name = %(program_name)s\n"
	    "[service:t]\ncommand = /bin/true\nnumprocs = 2\n"
	    "process_name = x %(process_num)d\n");
	ERROR_IS(M(3, "numprocs: is more than 1, so process_name must contain "
	    "%%(process_num) (as in supervisord)"));
	ERROR_IS(M(7, "process_name: must contain %%(process_num) when "
	    "numprocs > 1"));
	ERROR_IS(M(11, "process_name: invalid name 'x 0': it contains a blank "
	    "or a control character"));
	NERRORS(3);
	LOAD_OK("[service:w]\ncommand = /bin/w %(process_num)d\nnumprocs = 3\n"
	    "[program:p]\ncommand = /bin/p\nnumprocs = 2\nnumprocs_start = 5\n"
	    "process_name = %(program_name)s-%(process_num)02d\n"
	    "[program:one]\ncommand = /bin/one\nprocess_name = x%(process_num)s\n");
	j = J("w");
	ck_assert_int_eq(j->nprocs, 3);
	ck_assert_str_eq(j->procs[0].name, "w_0");
	ck_assert_str_eq(j->procs[2].name, "w_2");
	ck_assert_int_eq(j->procs[2].num, 2);
	argv_is(j->procs[1].argv, "/bin/w", "1", NULL);
	j = J("p");
	ck_assert_int_eq(j->nprocs, 2);
	ck_assert_str_eq(j->procs[0].name, "p-05");
	ck_assert_str_eq(j->procs[1].name, "p-06");
	ck_assert_int_eq(j->procs[1].num, 6);
	ck_assert_str_eq(J("one")->procs[0].name, "x0");
}
END_TEST

START_TEST(test_interpolation)
{
	struct utsname	 u;
	struct proc_config *p;

	setenv("CHECK_CONFIG_X", "ex", 1);
	setenv("CHECK_CONFIG_N", "2", 1);
	setenv("CHECK_CONFIG_NO", "false", 1);
	unsetenv("CHECK_CONFIG_UNSET");
	LOAD_BAD("[service:a]\ncommand = /bin/echo %(ENV_CHECK_CONFIG_UNSET)s\n"
	    "[service:b]\ncommand = /bin/echo %(foo)s\n"
	    "[service:c]\ncommand = /bin/true\npriority = %(process_num)d\n"
	    "[service:d]\ncommand = /bin/echo %(program_name\n");
	ERROR_IS(M(2, "command: environment variable CHECK_CONFIG_UNSET is not "
	    "set (%%(ENV_CHECK_CONFIG_UNSET)s)"));
	ERROR_IS(M(4, "command: unknown interpolation name 'foo'"));
	ERROR_IS(M(7, "priority: %%(process_num) and %%(numprocs) are only "
	    "known in command, process_name, directory, environment and the "
	    "output keys"));
	ERROR_IS(M(9, "command: missing ')' after '%%('"));
	NERRORS(4);
	ck_assert_int_eq(uname(&u), 0);
	LOAD_OK("[service:a]\ncommand = /bin/echo %(program_name)s "
	    "%(group_name)s %(host_node_name)s %(here)s %(ENV_CHECK_CONFIG_X)s "
	    "100%% date +%s %(numprocs)d\n"
	    "numprocs = %(ENV_CHECK_CONFIG_N)s\n"
	    "autostart = %(ENV_CHECK_CONFIG_NO)s\n"
	    "directory = %(here)s/w%(process_num)d\n"
	    "environment = N=%(process_num)03d,H=%(here)s\n"
	    "stdout = file:%(here)s/%(program_name)s-%(process_num)d.log\n"
	    "[group:g]\nprograms = b\n"
	    "[program:b]\ncommand = /bin/echo %(group_name)s\n");
	p = &J("a")->procs[1];
	argv_is(p->argv, "/bin/echo", "a", "a", u.nodename, dir, "ex", "100%",
	    "date", "+%s", "2", NULL);
	ck_assert_int_eq(J("a")->nprocs, 2);
	ck_assert(!J("a")->autostart);
	ck_assert_str_eq(p->directory, P("w1"));
	argv_is(p->env, "N=001", fmt("H=%s", dir), NULL);
	ck_assert_str_eq(p->out.path, P("a-1.log"));
	argv_is(J("b")->procs[0].argv, "/bin/echo", "g", NULL);
	ck_assert_str_eq(J("b")->group, "g");
	unsetenv("CHECK_CONFIG_X");
	unsetenv("CHECK_CONFIG_N");
	unsetenv("CHECK_CONFIG_NO");
}
END_TEST

START_TEST(test_relative_paths)
{
	LOAD_OK("[service:a]\ncommand = /bin/true\ndirectory = work\n"
	    "stdout = file:logs.out\n[service:b]\ncommand = /bin/true\n"
	    "directory = /srv\n");
	ck_assert_str_eq(J("a")->procs[0].directory, P("work"));
	ck_assert_str_eq(J("a")->procs[0].out.path, P("logs.out"));
	ck_assert_str_eq(J("b")->procs[0].directory, "/srv");
	/* Relative to the file, not to the working directory. */
	subdir("etc");
	write_text("etc/d.ini", "[service:a]\ncommand = /bin/true\n"
	    "directory = .\n");
	ck_assert_int_eq(chdir(dir), 0);
	load_path("etc/d.ini");
	ck_assert_ptr_nonnull(conf);
	ck_assert_str_eq(J("a")->procs[0].directory, P("etc/."));
}
END_TEST

/* --- includes ------------------------------------------------------------ */

START_TEST(test_include)
{
	subdir("conf.d");
	subdir("sub");
	write_text("conf.d/b.ini", "[service:b]\ncommand = /bin/b\n");
	write_text("conf.d/a.ini", "[service:a]\ncommand = /bin/a\n"
	    "[group:g]\nprograms = a, c\n");
	write_text("conf.d/skip.txt", "[service:x]\ncommand = /bin/x\n");
	write_text("sub/c.ini", "[program:c]\ncommand = %(here)s/c\n");
	LOAD_OK("[drover]\ninclude = conf.d/*.ini sub/c.ini\n"
	    "[include]\nfiles = nomatch/*.conf\n");
	WARNING_IS(M(4, "files: no file matches %s", P("nomatch/*.conf")));
	ck_assert_int_eq(conf->njobs, 3);
	ck_assert_str_eq(conf->jobs[0]->name, "a");	/* sorted */
	ck_assert_str_eq(conf->jobs[1]->name, "b");
	ck_assert_str_eq(conf->jobs[2]->name, "c");
	ck_assert_str_eq(J("c")->file, P("sub/c.ini"));
	argv_is(J("c")->procs[0].argv, P("sub/c"), NULL);
	ck_assert_str_eq(J("c")->group, "g");
	ck_assert_ptr_nonnull(config_find_group(conf, "g"));
	ck_assert_ptr_null(config_find_group(conf, "nope"));
	ck_assert_ptr_null(config_find_job(conf, "x"));
}
END_TEST

START_TEST(test_include_errors)
{
	subdir("d");
	write_text("bad.ini", "[service:x]\ncommand = /bin/true\n"
	    "startsecs = never\n");
	LOAD_BAD("[service:a]\ncommand = /bin/true\n[include]\n"
	    "files = missing.ini bad.ini d\n[drover]\ninclude = d/*\n");
	ERROR_IS(M(4, "files: cannot open %s: No such file or directory",
	    P("missing.ini")));
	ERROR_IS(fmt("%s:3: startsecs: invalid value 'never' (expected a "
	    "duration like 30s, 1m30s or 250ms)", P("bad.ini")));
	ERROR_IS(M(4, "files: %s is not a regular file", P("d")));
	WARNING_IS(M(6, "include: no file matches %s", P("d/*")));
	NERRORS(3);
	LOAD_BAD("[include]\n");
	ERROR_IS(M(1, "[include] has no 'files' key"));
}
END_TEST

START_TEST(test_include_cycle)
{
	write_text("a.ini", "[include]\nfiles = b.ini\n");
	write_text("b.ini", "[service:b]\ncommand = /bin/true\n"
	    "[include]\nfiles = a.ini\n");
	LOAD_BAD("[drover]\ninclude = a.ini\n");
	ERROR_IS(fmt("%s:4: files: include cycle: %s -> %s -> %s -> %s",
	    P("b.ini"), mainpath, P("a.ini"), P("b.ini"), P("a.ini")));
	NERRORS(1);
	LOAD_BAD("[drover]\ninclude = main.ini\n");
	ERROR_IS(M(2, "include: include cycle: %s -> %s", mainpath, mainpath));
	/* A glob that matches the including file is a cycle too. */
	LOAD_BAD("[drover]\ninclude = *.ini\n[service:s]\ncommand = /bin/true\n");
	ERROR_IS(M(2, "include: include cycle: %s -> %s", mainpath, mainpath));
	/* Included twice (not a cycle): read once. */
	write_text("c.ini", "[service:c]\ncommand = /bin/true\n");
	LOAD_OK("[drover]\ninclude = c.ini ./c.ini\n");
	WARNING_IS(M(2, "include: %s was already read; skipped",
	    P("./c.ini")));
	ck_assert_int_eq(conf->njobs, 1);
}
END_TEST

START_TEST(test_include_relative_main)
{
	subdir("etc");
	subdir("etc/conf.d");
	write_text("etc/conf.d/x.ini", "[service:x]\ncommand = /bin/true\n"
	    "bogus = 1\n");
	write_text("etc/main.ini", "[include]\nfiles = conf.d/*.ini\n");
	ck_assert_int_eq(chdir(dir), 0);
	load_path("etc/main.ini");
	ck_assert_ptr_null(conf);
	ERROR_IS("etc/conf.d/x.ini:3: unknown key 'bogus' in [service:x]");
}
END_TEST

START_TEST(test_duplicates_across_files)
{
	write_text("other.ini", "[task:web]\ncommand = /bin/true\n"
	    "[program:w2]\ncommand = /bin/true\nprocess_name = web\n");
	LOAD_BAD("[service:web]\ncommand = /bin/true\n[drover]\n"
	    "include = other.ini\n");
	ERROR_IS(fmt("%s:1: duplicate job name 'web' ([service:web] at %s:1)",
	    P("other.ini"), mainpath));
	ERROR_IS(fmt("%s:3: duplicate process name 'web' (also a process of "
	    "'web' at %s:1)", P("other.ini"), mainpath));
}
END_TEST

/* --- across jobs --------------------------------------------------------- */

START_TEST(test_dependencies)
{
	LOAD_BAD("[service:db]\ncommand = /bin/true\n"
	    "[service:web]\ncommand = /bin/true\nafter = dbb, cache\n");
	ERROR_IS(M(5, "after: unknown job 'dbb'; did you mean 'db'?"));
	ERROR_IS(M(5, "after: unknown job 'cache'"));
	NERRORS(2);
	LOAD_BAD("[service:a]\ncommand = /bin/true\nafter = b\n"
	    "[service:b]\ncommand = /bin/true\nafter = c\n"
	    "[service:c]\ncommand = /bin/true\nafter = a\n");
	ERROR_IS(M(9, "after: dependency cycle: a -> b -> c -> a"));
	NERRORS(1);
	LOAD_BAD("[service:a]\ncommand = /bin/true\nafter = a\n");
	ERROR_IS(M(3, "after: dependency cycle: a -> a"));
	/* before is after written on the other side. */
	LOAD_BAD("[service:a]\ncommand = /bin/true\nafter = b\nbefore = b\n"
	    "[cleanup:b]\ncommand = /bin/true\ntimeout = 1s\n");
	ERROR_IS(M(4, "before: dependency cycle: a -> b -> a"));
	NERRORS(1);
	LOAD_OK("[service:a]\ncommand = /bin/true\n[service:b]\n"
	    "command = /bin/true\nafter = a\n[cleanup:c]\ncommand = /bin/true\n"
	    "timeout = 5s\nbefore = a, b\n[task:d]\ncommand = /bin/true\n"
	    "after = a b\n");
	argv_is(J("c")->before, "a", "b", NULL);
}
END_TEST

START_TEST(test_groups)
{
	struct group_config	*g;

	LOAD_BAD("[service:a]\ncommand = /bin/true\n[service:b]\n"
	    "command = /bin/true\n"
	    "[group:g1]\nprograms = a, nosuchjob\n"
	    "[group:g2]\njobs = a, b, b\n"
	    "[group:g3]\nprograms = a\njobs = b\n"
	    "[group:g4]\nmax_concurrent = 2\n"
	    "[group:g5]\nprograms = ,\n"
	    "[group:g6]\nprograms = b\nmax_concurrent = x\n");
	ERROR_IS(M(6, "programs: unknown job 'nosuchjob'"));
	ERROR_IS(M(8, "jobs: job 'a' is already in [group:g1]; a job belongs "
	    "to one group at most"));
	ERROR_IS(M(8, "jobs: 'b' is listed twice"));
	ERROR_IS(M(11, "jobs: give either programs or jobs, not both"));
	ERROR_IS(M(12, "[group:g4] lists no jobs (programs = a, b)"));
	ERROR_IS(M(15, "programs: lists no jobs"));
	ERROR_IS(M(18, "max_concurrent: invalid value 'x' (expected a whole "
	    "number, 0 or more)"));
	LOAD_OK("[program:a]\ncommand = /bin/true\n[program:b]\n"
	    "command = /bin/true\n[fcgi-program:el]\ncommand = /bin/el\n"
	    "socket = tcp://x:1\n"
	    "[group:g]\nprograms = a,el, b\npriority = 5\nmax_concurrent = 2\n");
	WARNING_IS(M(9, "programs: 'el' is an [fcgi-program], which drover "
	    "does not run; left out of [group:g]"));
	WARNING_IS(M(10, "priority: a group has no priority of its own (each "
	    "job's priority applies); ignored"));
	g = config_find_group(conf, "g");
	ck_assert_ptr_nonnull(g);
	argv_is(g->jobs, "a", "b", NULL);
	ck_assert_int_eq(g->max_concurrent, 2);
	ck_assert_str_eq(g->file, mainpath);
	ck_assert_int_eq(g->line, 8);
	ck_assert_str_eq(J("a")->group, "g");
	ck_assert_str_eq(J("b")->group, "g");
}
END_TEST

START_TEST(test_all_errors_reported)
{
	LOAD_BAD("[service:a]\nstartsecs = x\nstopsignal = y\n"
	    "[task:b]\ncommand = /bin/true\nafter = nope\n[frob]\n"
	    "line without equals\n");
	NERRORS(6);
}
END_TEST

/* --- limits and odd corners ---------------------------------------------- */

static bool
has_part(char **v, const char *part)
{
	for (; v != NULL && *v != NULL; v++) {
		if (strstr(*v, part) != NULL)
			return true;
	}
	return false;
}

START_TEST(test_value_too_long)
{
	char	*s = xstrdup("[service:a]\ncommand = /bin/echo\n"), *t;
	char	 chunk[60001];
	int	 i;

	memset(chunk, 'x', sizeof(chunk) - 1);
	chunk[sizeof(chunk) - 1] = '\0';
	for (i = 0; i < 20; i++) {
		t = xprintf("%s  %s\n", s, chunk);
		free(s);
		s = t;
	}
	LOAD_BAD(s);
	free(s);
	/* 9 + 17 * 60001 bytes fit in 1 MiB, the 18th line does not. */
	ERROR_IS(M(20, "value too long (max 1048576 bytes)"));
	NERRORS(1);
}
END_TEST

START_TEST(test_include_depth)
{
	int	i;

	for (i = 1; i < 40; i++)
		write_text(fmt("f%d.ini", i), fmt("[include]\nfiles = f%d.ini\n",
		    i + 1));
	write_text("f40.ini", "[service:deep]\ncommand = /bin/true\n");
	LOAD_BAD("[include]\nfiles = f1.ini\n");
	ERROR_IS(fmt("%s:2: files: includes nested more than 32 deep",
	    P("f31.ini")));
	NERRORS(1);
}
END_TEST

START_TEST(test_odd_corners)
{
	char	name[202];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	subdir("conf.d");
	subdir("conf.d/sub.ini");
	LOAD_BAD(fmt("[service:%s]\ncommand = /bin/true\n"
	    "[service:a]\ncommand = /bin/true\nstdout = file:main.ini/x\n"
	    "before = nosuch\n[service:b]\ncommand = /bin/true\ndirectory =\n"
	    "[drover]\nsocket =\npidfile =\ninclude = conf.d/*\n", name));
	ERROR_IS(M(1, "[service:%s]: invalid name: longer than 200 bytes",
	    name));
	ERROR_IS(M(5, "stdout: %s is not a directory", mainpath));
	ERROR_IS(M(6, "before: unknown job 'nosuch'"));
	ERROR_IS(M(9, "directory: invalid value '' (expected a directory)"));
	ERROR_IS(M(11, "socket: invalid value '' (expected a path or none)"));
	ERROR_IS(M(12, "pidfile: invalid value '' (expected a path)"));
	WARNING_IS(M(13, "include: %s is a directory; skipped",
	    P("conf.d/sub.ini")));
	ck_assert(!has_part(d.errors, "sub.ini"));
	/* A main file named without a directory. */
	write_text("plain.ini", "[service:a]\ncommand = /bin/echo %(here)s\n");
	ck_assert_int_eq(chdir(dir), 0);
	load_path("plain.ini");
	ck_assert_ptr_nonnull(conf);
	argv_is(J("a")->procs[0].argv, "/bin/echo", dir, NULL);
}
END_TEST

/* --- the public helpers --------------------------------------------------- */

START_TEST(test_summary)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	LOAD_OK("[service:web]\ncommand = /usr/sbin/nginx -g 'daemon off;'\n"
	    "[task:backup-nightly]\ncommand = /bin/sh -c \"it's\" ''\n"
	    "[cleanup:c]\ncommand = /bin/true\ntimeout = 1s\n"
	    "[program:w]\ncommand = /bin/w\nnumprocs = 12\n"
	    "process_name = w%(process_num)d\n");
	fp = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(fp);
	config_summary(conf, fp);
	fclose(fp);
	ck_assert_str_eq(buf,
	    "web             service  x1   /usr/sbin/nginx -g 'daemon off;'\n"
	    "backup-nightly  task     x1   /bin/sh -c 'it'\\''s' ''\n"
	    "c               cleanup  x1   /bin/true\n"
	    "w               service  x12  /bin/w\n");
	free(buf);
}
END_TEST

START_TEST(test_diag_print)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	diag_error(&d, "f.ini", 3, "bad %s", "thing");
	diag_warn(&d, "f.ini", 0, "careful");
	diag_error(&d, NULL, 0, "plain");
	fp = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(fp);
	diag_print(&d, fp);
	fclose(fp);
	ck_assert_str_eq(buf, "warning: f.ini: careful\nerror: f.ini:3: bad "
	    "thing\nerror: plain\n");
	free(buf);
}
END_TEST

START_TEST(test_needs_restart)
{
	struct config		*old;
	struct job_config	*a, *b;

	LOAD_OK("[service:s]\ncommand = /bin/s\nbackoff = 1s\npriority = 1\n");
	old = conf;
	conf = NULL;
	LOAD_OK("[service:s]\ncommand = /bin/s\nbackoff = 5s\npriority = 2\n"
	    "stopwaitsecs = 1m\nafter = \n");
	a = config_find_job(old, "s");
	b = J("s");
	ck_assert(!job_config_needs_restart(a, b));
	ck_assert(!job_config_needs_restart(a, a));
	LOAD_OK("[service:s]\ncommand = /bin/s -v\n");
	ck_assert(job_config_needs_restart(a, J("s")));
	LOAD_OK("[service:s]\ncommand = /bin/s\nenvironment = A=1\n");
	ck_assert(job_config_needs_restart(a, J("s")));
	LOAD_OK("[service:s]\ncommand = /bin/s\nnumprocs = 2\n");
	ck_assert(job_config_needs_restart(a, J("s")));
	LOAD_OK("[service:s]\ncommand = /bin/s\nstdout = null\n");
	ck_assert(job_config_needs_restart(a, J("s")));
	LOAD_OK("[service:s]\ncommand = /bin/s\nlimit_nofile = 10\n");
	ck_assert(job_config_needs_restart(a, J("s")));
	LOAD_OK("[service:s]\ncommand = /bin/s\nready = notify\n");
	ck_assert(job_config_needs_restart(a, J("s")));
	config_free(old);
}
END_TEST

START_TEST(test_env_default)
{
	struct config_env	e;

	config_env_default(&e);
	ck_assert(e.is_root == (geteuid() == 0));
	ck_assert_ptr_nonnull(e.default_socket);
	if (e.is_root)
		ck_assert_str_eq(e.default_socket,
		    DROVER_RUNSTATEDIR "/drover.sock");
	else
		ck_assert_ptr_nonnull(strstr(e.default_socket, "drover"));
	/* config_load() takes NULL for the defaults. */
	write_text("main.ini", "[service:a]\ncommand = /bin/true\n");
	config_free(conf);
	conf = config_load(mainpath, NULL, &d);
	ck_assert_ptr_nonnull(conf);
	ck_assert_str_eq(conf->socket, e.default_socket);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc;

	tc = tcase_create("reader");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_empty_file);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_garbage);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_bad_utf8);
	tcase_add_test(tc, test_syntax_errors);
	tcase_add_test(tc, test_syntax_variants);
	tcase_add_test(tc, test_comments);
	tcase_add_test(tc, test_continuation);
	tcase_add_test(tc, test_long_lines);
	tcase_add_test(tc, test_line_too_long);
	tcase_add_test(tc, test_long_names);
	tcase_add_test(tc, test_too_many_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("sections");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unknown_sections);
	tcase_add_test(tc, test_bad_names);
	tcase_add_test(tc, test_duplicate_sections);
	tcase_add_test(tc, test_ignored_sections);
	tcase_add_test(tc, test_result_handler);
	tcase_add_test(tc, test_http_sections);
	tcase_add_test(tc, test_supervisord_section);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_unknown_keys);
	tcase_add_test(tc, test_capture_maxbytes);
	tcase_add_test(tc, test_hooks);
	tcase_add_test(tc, test_duplicate_keys);
	tcase_add_test(tc, test_wrong_kind_keys);
	tcase_add_test(tc, test_service_defaults);
	tcase_add_test(tc, test_other_defaults);
	tcase_add_test(tc, test_drover_defaults);
	tcase_add_test(tc, test_drover_keys);
	tcase_add_test(tc, test_value_types);
	tcase_add_test(tc, test_bad_values);
	tcase_add_test(tc, test_long_bad_value);
	tcase_add_test(tc, test_command_errors);
	tcase_add_test(tc, test_job_rules);
	tcase_add_test(tc, test_killmode_mapping);
	tcase_add_test(tc, test_output);
	tcase_add_test(tc, test_users);
	tcase_add_test(tc, test_numprocs);
	tcase_add_test(tc, test_interpolation);
	tcase_add_test(tc, test_relative_paths);
	suite_add_tcase(s, tc);

	tc = tcase_create("includes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_include);
	tcase_add_test(tc, test_include_errors);
	tcase_add_test(tc, test_include_cycle);
	tcase_add_test(tc, test_include_relative_main);
	tcase_add_test(tc, test_duplicates_across_files);
	suite_add_tcase(s, tc);

	tc = tcase_create("validate");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dependencies);
	tcase_add_test(tc, test_groups);
	tcase_add_test(tc, test_all_errors_reported);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_value_too_long);
	tcase_add_test(tc, test_include_depth);
	tcase_add_test(tc, test_odd_corners);
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_summary);
	tcase_add_test(tc, test_diag_print);
	tcase_add_test(tc, test_needs_restart);
	tcase_add_test(tc, test_env_default);
	tcase_add_test(tc, test_schedule_keys);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(config_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
