/*
 * control.h: the control socket protocol, shared by drover (control.c,
 * control_cmd.c) and droverctl.c.  droverctl(1) documents it.
 *
 * One JSON object per line each way.  A request:
 *	{"cmd": "stop", "args": ["web", "batch:*"], "wait": true, "id": 7}
 * A reply:
 *	{"ok": true, "cmd": "stop", "id": 7, "instances": [ ... ]}
 *	{"ok": false, "error": "unknown-job", "message": "..."}
 */
#ifndef DROVER_CONTROL_H
#define DROVER_CONTROL_H

#define CONTROL_MAX_REQUEST	(64 * 1024)	/* one request line, bytes */
#define CONTROL_MAX_CONNS	64
#define CONTROL_IDLE_MS		30000		/* idle connections are closed */
#define CONTROL_WAIT_SLACK_MS	1000		/* added to a wait's bound */

/* The "error" codes of a failed reply. */
#define CTL_E_UNKNOWN_JOB	"unknown-job"
#define CTL_E_BAD_REQUEST	"bad-request"
#define CTL_E_NOT_PERMITTED	"not-permitted"
#define CTL_E_SHUTTING_DOWN	"shutting-down"
#define CTL_E_TIMEOUT		"timeout"
#define CTL_E_FAILED		"failed"

#endif
