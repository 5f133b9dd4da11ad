/*
 * droverctl_int.h: between the modules of droverctl(1).  droverctl.c
 * (options, commands, main) calls droverctl_tail.c (tail, maintail) and
 * droverctl_watch.c (status --watch); all three use droverctl_print.c
 * (the replies as text) and droverctl_conn.c (the socket, one exchange,
 * the signals that end a wait), which call nothing above them.
 */
#ifndef DROVER_DROVERCTL_INT_H
#define DROVER_DROVERCTL_INT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#define EX_FAILED	1
#define EX_USAGE	2
#define EX_UNKNOWN	3
#define EX_CONNECT	4

#define REPLY_TIMEOUT_MS	30000		/* commands that do not wait */

struct options {
	const char	*socket;
	const char	*config;
	bool		 json;
	bool		 no_wait;
	double		 watch;		/* status --watch: seconds, 0 = no */
};

/* droverctl_conn.c */
char		*socket_path(const struct options *);
int		 ctl_connect(const char *);
bool		 send_all(int, const char *);
char		*read_line(int, int);
json_t		*exchange(const char *, const char *, int, char **, char *,
		    size_t, int *);
void		 watch_signals(void);
extern volatile sig_atomic_t	watch_stop, watch_redraw;

/* droverctl_print.c */
const char	*sget(json_t *, const char *);
bool		 iget(json_t *, const char *, long long *);
void		 fmt_wall(long long, char *, size_t);
void		 print_instances(FILE *, json_t *);
void		 print_shutdown(FILE *, json_t *);
void		 print_reply(const char *, json_t *);
int		 exit_code(json_t *);

/* droverctl_tail.c */
int		 tail_main(const struct options *, int, char **);

/* droverctl_watch.c */
int		 watch_seconds(const char *, double *);
int		 watch_args(char **, int, struct options *);
int		 watch_status(const char *, const char *, const struct options *);

#endif
