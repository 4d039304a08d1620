/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qmp.h - a small QMP client that distrusts QEMU: one message at a time, bounded in size and in
 * time, checked by a strict parser that accepts only the four shapes pcipass-run reads. */
#ifndef PCIPASS_QMP_H
#define PCIPASS_QMP_H

#include <stddef.h>

#include "util.h"

#define QMP_MSG_MAX 65536 /* one message from QEMU; longer is an error, never a truncation */
#define QMP_DEPTH_MAX 32  /* objects and arrays nested deeper than this are refused */
#define QMP_SKIP_MAX 1000 /* messages (events, stale replies) qmp_execute reads past at most */

enum qmp_type { QMP_GREETING, QMP_RETURN, QMP_ERROR, QMP_EVENT };
struct qmp_msg {
	enum qmp_type type;
	long long id;          /* the "id" we sent, echoed; -1 when absent */
	char event[64];        /* QMP_EVENT: its name, e.g. SHUTDOWN, DEVICE_DELETED */
	char device[128];      /* QMP_EVENT: data.device when it is a string (DEVICE_DELETED), else "" */
	char err_class[64];    /* QMP_ERROR: error.class */
	char err_desc[256];    /* QMP_ERROR: error.desc (cut to fit is fine here: it is for a message) */
	char status[32];       /* QMP_RETURN of query-status: return.status, else "" */
};
/* Pure: one message (a JSON object, no trailing newline needed) checked and read. Accepts only
 * the four shapes above; anything else (not JSON, nesting deeper than a small bound, duplicate or
 * missing keys we need, wrong types, a string with a NUL or bad escapes) is an error.
 * Shapes: {"QMP": {...}}; {"return": any, "id"?: N}; {"error": {"class": S, "desc": S, ...},
 * "id"?: N}; {"event": S, "timestamp": {...}, "data"?: {...}}; no other key at the top.
 * event is [A-Z0-9_], status [a-z0-9-], err_class a word, device printable ASCII; a string that
 * does not fit its field is an error (but err_desc, which is cut). Errors: EX_PROTOCOL. */
int qmp_parse(const char *text, size_t len, struct qmp_msg *m, struct perr *e) MUST_CHECK;

struct qmp { int fd; int timeout_ms; long long next_id; char buf[QMP_MSG_MAX + 1]; size_t len;
             /* events seen while waiting for a reply, for qmp_wait_event: */
             struct qmp_msg seen[16]; size_t n_seen;
             char where[108]; /* the socket's path (or "QEMU"), for messages */ };
/* Connect to the UNIX socket at path, read the greeting, negotiate (qmp_capabilities). Every
 * later read waits at most timeout_ms (poll) for each message. */
int qmp_connect(struct qmp *q, const char *path, int timeout_ms, struct perr *e) MUST_CHECK;
/* The same on a socket already connected (taken over: qmp_close or a failure closes it);
 * messages name it "QEMU". */
int qmp_open(struct qmp *q, int fd, int timeout_ms, struct perr *e) MUST_CHECK;
/* Send {"execute": cmd, "arguments": args_json (omitted when NULL), "id": N} and read until the
 * reply with that id; events read meanwhile are kept for qmp_wait_event. 0 on "return" (reply
 * filled), -1 on "error" (e says QEMU's class and desc, escaped), timeout, EOF or a bad message.
 * args_json is built by the caller from trusted values.
 * The whole exchange takes at most timeout_ms and reads past at most QMP_SKIP_MAX messages.
 * On -1, reply->type is QMP_ERROR (err_class and err_desc filled, e->code EX_UNAVAILABLE) only
 * when QEMU refused the command; a reply to query-status without a status is malformed. */
int qmp_execute(struct qmp *q, const char *cmd, const char *args_json, struct qmp_msg *reply,
		struct perr *e) MUST_CHECK;
/* getfd: pass fd to QEMU with SCM_RIGHTS under fdname. */
int qmp_getfd(struct qmp *q, int fd, const char *fdname, struct perr *e) MUST_CHECK;
/* Wait for an event (and, when device is not NULL, with that data.device), up to timeout_ms in
 * all; an event already seen during qmp_execute counts. 0 when seen, -1 on timeout or EOF.
 * The event found is taken out of those kept; others read meanwhile are kept (the oldest are
 * dropped past 16). */
int qmp_wait_event(struct qmp *q, const char *event, const char *device, int timeout_ms,
		   struct perr *e) MUST_CHECK;
void qmp_close(struct qmp *q);

#endif
