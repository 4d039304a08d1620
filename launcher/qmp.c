/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qmp.c - the QMP client: a strict parser of QEMU's messages, and the socket side, bounded in
 * size, count and time. QEMU is untrusted: nothing here allocates, and nothing it sends is
 * more than a string to compare or to show escaped. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"

/* ---- the parser: recursive descent over one message, no allocation, depth bounded ---- */

struct jp {
	const char *s, *p, *end;
	char why[96]; /* the first problem met */
};

static int peek(const struct jp *j)
{
	return j->p < j->end ? (unsigned char)*j->p : -1;
}

static void ws(struct jp *j)
{
	while (peek(j) > 0 && strchr(" \t\r\n", peek(j)))
		j->p++;
}

/* The digits at the cursor, consumed; how many. */
static size_t digits(struct jp *j)
{
	const char *start = j->p;

	while (peek(j) >= '0' && peek(j) <= '9')
		j->p++;
	return (size_t)(j->p - start);
}

/* Record the first problem; "expected ..." gets what the cursor is on. Always false. */
static bool bad(struct jp *j, const char *why)
{
	int c = peek(j);

	if (j->why[0])
		return false;
	if (strncmp(why, "expected", 8) != 0)
		snprintf(j->why, sizeof(j->why), "%s", why);
	else if (c < 0)
		snprintf(j->why, sizeof(j->why), "%s, got the end", why);
	else if (c > 0x20 && c < 0x7f)
		snprintf(j->why, sizeof(j->why), "%s, got '%c'", why, c);
	else
		snprintf(j->why, sizeof(j->why), "%s, got \\x%02x", why, (unsigned)c);
	return false;
}

static long hex4(const char *p)
{
	char h[5] = { p[0], p[1], p[2], p[3], '\0' };

	return strspn(h, "0123456789abcdefABCDEF") == 4 ? strtol(h, NULL, 16) : -1;
}

/* After "\u": a code point (a surrogate pair: both halves), 0 when refused. ASCII comes back as
 * itself, anything else as SUB (0x1a): QEMU escapes every byte past 0x7e, we keep no name
 * outside ASCII, and a description shows it escaped. */
static int unicode(struct jp *j)
{
	long cp = j->end - j->p >= 4 ? hex4(j->p) : -1, lo;

	if (cp < 0)
		return bad(j, "expected four hex digits after \\u");
	j->p += 4;
	if (cp == 0 || (cp >= 0xdc00 && cp <= 0xdfff))
		return bad(j, "a string holds \\u0000 or a lone low surrogate");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		lo = j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u' ? hex4(j->p + 2) : -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return bad(j, "a string holds a lone high surrogate");
		j->p += 6;
	}
	return cp < 0x80 ? (int)cp : 0x1a;
}

/* The string at the cursor, decoded into out[size] (out NULL: only checked); *fit false when it
 * was longer. Refused: the end, raw control characters and bytes past ASCII, bad escapes. */
static bool string(struct jp *j, char *out, size_t size, bool *fit)
{
	static const char esc[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	size_t o = 0;

	*fit = true;
	for (j->p++; peek(j) != '"';) {
		int c = peek(j);
		const char *k;

		if (c < 0x20 || c > 0x7e)
			return bad(j, "expected '\"', a printable character or an escape");
		j->p++;
		if (c == '\\' && peek(j) == 'u') {
			j->p++;
			if ((c = unicode(j)) == 0)
				return false;
		} else if (c == '\\') {
			if (peek(j) <= 0 || (k = strchr(esc, peek(j))) == NULL || (k - esc) % 2 != 0)
				return bad(j, "expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
			c = k[1];
			j->p++;
		}
		if (out && o + 1 < size)
			out[o++] = (char)c;
		else
			*fit = false;
	}
	j->p++;
	if (out)
		out[o] = '\0';
	return true;
}

/* A number of JSON's grammar, at most 32 characters; with out, an integer in [0, LLONG_MAX]. */
static bool number(struct jp *j, long long *out)
{
	const char *start = j->p, *why;
	char text[33];

	if (peek(j) == '-')
		j->p++;
	if (peek(j) == '0')
		j->p++;
	else if (digits(j) == 0)
		return bad(j, "expected a value");
	if (peek(j) == '.' && (j->p++, digits(j) == 0))
		return bad(j, "expected a digit");
	if (peek(j) == 'e' || peek(j) == 'E') {
		j->p++;
		if (peek(j) == '+' || peek(j) == '-')
			j->p++;
		if (digits(j) == 0)
			return bad(j, "expected a digit");
	}
	if (j->p - start > 32)
		return bad(j, "a number longer than 32 characters");
	if (!out)
		return true;
	memcpy(text, start, (size_t)(j->p - start));
	text[j->p - start] = '\0';
	return parse_ll(text, 10, 0, LLONG_MAX, out, &why) == 0 ||
	       bad(j, "an id that is not one of ours (an integer from 0)");
}

/* Called with the cursor on a member's value; consumes it. */
typedef bool member_fn(struct jp *j, const char *key, int depth, void *ctx);

static bool value(struct jp *j, int depth);

/* The object or array at the cursor, nested depth deep; an object's values go to fn (NULL, and
 * always for an array: only checked). */
static bool container(struct jp *j, int depth, member_fn *fn, void *ctx)
{
	bool obj = peek(j) == '{', fit;
	int close = obj ? '}' : ']';
	char key[32] = "";

	if (depth > QMP_DEPTH_MAX)
		return bad(j, "objects and arrays nested deeper than 32");
	j->p++;
	ws(j);
	if (peek(j) == close) {
		j->p++;
		return true;
	}
	for (;;) {
		ws(j);
		if (obj) {
			if (peek(j) != '"')
				return bad(j, "expected a key");
			if (!string(j, key, sizeof(key), &fit))
				return false;
			if (!fit)
				key[0] = '\0'; /* too long to be one we read */
			ws(j);
			if (peek(j) != ':')
				return bad(j, "expected ':'");
			j->p++;
			ws(j);
		}
		if (!(obj && fn ? fn(j, key, depth, ctx) : value(j, depth)))
			return false;
		ws(j);
		if (peek(j) == close)
			break;
		if (peek(j) != ',')
			return bad(j, obj ? "expected ',' or '}'" : "expected ',' or ']'");
		j->p++;
	}
	j->p++;
	return true;
}

/* The text is one JSON object, and blanks. */
static bool one_object(struct jp *j, member_fn *fn, void *ctx)
{
	ws(j);
	if (peek(j) != '{')
		return bad(j, "expected '{'");
	if (!container(j, 1, fn, ctx))
		return false;
	ws(j);
	return peek(j) < 0 || bad(j, "expected the end of the message");
}

/* Any value, checked and skipped; depth is that of what holds it. */
static bool value(struct jp *j, int depth)
{
	static const char *const words[] = { "true", "false", "null" };
	bool fit;

	ws(j);
	if (peek(j) == '{' || peek(j) == '[')
		return container(j, depth + 1, NULL, NULL);
	if (peek(j) == '"')
		return string(j, NULL, 0, &fit);
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(words[i]);

		if ((size_t)(j->end - j->p) >= n && memcmp(j->p, words[i], n) == 0) {
			j->p += n;
			return true;
		}
	}
	return number(j, NULL);
}

/* A member whose string we keep. mode 'n': a name, non-empty, fits, only characters of set;
 * 'l': the same, but anything else (another type too) leaves ""; 'c': any text, cut to fit. */
struct field {
	const char *key;
	char *out;
	size_t size;
	const char *set;
	char mode;
};
struct fields {
	struct field f[3];
	unsigned seen;
};

static bool keep(struct jp *j, const struct field *f, int depth)
{
	bool fit;

	if (peek(j) != '"')
		return f->mode == 'l' ? value(j, depth) : bad(j, "expected a string");
	if (!string(j, f->out, f->size, &fit))
		return false;
	if (f->mode == 'c' || (fit && f->out[0] && strspn(f->out, f->set) == strlen(f->out)))
		return true;
	f->out[0] = '\0';
	return f->mode == 'l' || bad(j, "a name that is empty, too long or has a character it cannot");
}

static bool field_member(struct jp *j, const char *key, int depth, void *ctx)
{
	struct fields *fs = ctx;

	for (unsigned i = 0; fs->f[i].key; i++) {
		if (strcmp(key, fs->f[i].key) != 0)
			continue;
		if (fs->seen & 1u << i)
			return bad(j, "a key given twice");
		fs->seen |= 1u << i;
		return keep(j, &fs->f[i], depth);
	}
	return value(j, depth);
}

/* The top level's keys, the first four in the order of enum qmp_type. */
enum { K_QMP, K_RETURN, K_ERROR, K_EVENT, K_ID, K_TIMESTAMP, K_DATA };
#define B(k) (1u << (k))
struct top {
	struct qmp_msg *m;
	unsigned seen;
};

static bool top_member(struct jp *j, const char *key, int depth, void *ctx)
{
	static const char *const keys[] = { "QMP", "return", "error", "event", "id", "timestamp", "data" };
	struct top *t = ctx;
	struct qmp_msg *m = t->m;
	struct fields fs = { 0 };
	int k = 0;

	while (k < 7 && strcmp(keys[k], key) != 0)
		k++;
	if (k == 7)
		return bad(j, "a key that is not QMP, return, error, event, id, timestamp or data");
	if (t->seen & B(k))
		return bad(j, "a key given twice");
	t->seen |= B(k);
	if (k == K_EVENT)
		return keep(j, &(struct field){ "event", m->event, sizeof(m->event),
						"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_", 'n' }, depth);
	if (k == K_ID)
		return peek(j) == '-' || (peek(j) >= '0' && peek(j) <= '9') ? number(j, &m->id) :
			bad(j, "expected an id (a number)");
	if (k == K_RETURN && peek(j) != '{')
		return value(j, depth);
	if (peek(j) != '{')
		return bad(j, "expected an object");
	if (k == K_RETURN)
		fs.f[0] = (struct field){ "status", m->status, sizeof(m->status),
					  "abcdefghijklmnopqrstuvwxyz0123456789-", 'n' };
	if (k == K_ERROR) {
		fs.f[0] = (struct field){ "class", m->err_class, sizeof(m->err_class), WORD_CHARS, 'n' };
		fs.f[1] = (struct field){ "desc", m->err_desc, sizeof(m->err_desc), NULL, 'c' };
	}
	if (k == K_DATA)
		fs.f[0] = (struct field){ "device", m->device, sizeof(m->device), WORD_CHARS, 'l' };
	if (!container(j, depth + 1, field_member, &fs))
		return false;
	return k != K_ERROR || fs.seen == 3 || bad(j, "an error without a class or a desc");
}

int qmp_parse(const char *text, size_t len, struct qmp_msg *m, struct perr *e)
{
	/* the keys each shape may have (its own is the one it must) */
	static const unsigned allow[] = {
		[QMP_GREETING] = B(K_QMP), [QMP_RETURN] = B(K_RETURN) | B(K_ID),
		[QMP_ERROR] = B(K_ERROR) | B(K_ID), [QMP_EVENT] = B(K_EVENT) | B(K_TIMESTAMP) | B(K_DATA),
	};
	struct jp j = { .s = text, .p = text, .end = text + len };
	struct top t = { m, 0 };
	unsigned kind;

	memset(m, 0, sizeof(*m));
	m->id = -1;
	if (len > QMP_MSG_MAX)
		return fail(e, EX_PROTOCOL, "QMP QEMU: a message longer than %d bytes", QMP_MSG_MAX);
	one_object(&j, top_member, &t);
	kind = t.seen & (B(K_QMP) | B(K_RETURN) | B(K_ERROR) | B(K_EVENT));
	if (j.why[0])
		;
	else if (kind == 0 || (kind & (kind - 1)) != 0)
		bad(&j, "exactly one of QMP, return, error or event");
	else if ((t.seen & ~allow[__builtin_ctz(kind)]) != 0 ||
		 (kind == B(K_EVENT) && !(t.seen & B(K_TIMESTAMP))))
		bad(&j, "keys that make no greeting, reply, error or event (with its timestamp)");
	if (j.why[0]) {
		memset(m, 0, sizeof(*m));
		m->id = -1;
		return fail(e, EX_PROTOCOL, "QMP QEMU: malformed message, byte %zu: %s",
			    (size_t)(j.p - j.s), j.why);
	}
	m->type = (enum qmp_type)__builtin_ctz(kind);
	return 0;
}

/* ---- the socket side ---- */

/* Wait until fd is ready for events, by the deadline: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = events };
		int r;

		if (left <= 0)
			return 0;
		r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
		if (r != 0 && !(r < 0 && errno == EINTR))
			return r < 0 ? -1 : 1;
	}
}

/* The next message, by the deadline; what (ms) names the wait in messages. */
static int next_msg(struct qmp *q, long long deadline, const char *what, int ms, struct qmp_msg *m,
		    struct perr *e)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		ssize_t n;

		if (nl) {
			size_t line = (size_t)(nl - q->buf), text = line;
			struct perr pe = { 0 };
			int r;

			if (text > 0 && q->buf[text - 1] == '\r')
				text--;
			r = qmp_parse(q->buf, text, m, &pe);
			q->len -= line + 1;
			memmove(q->buf, nl + 1, q->len);
			/* qmp_parse knows no socket: "QMP QEMU: " becomes ours */
			return r < 0 ? fail(e, pe.code, "QMP %s: %s", q->where, pe.msg + 10) : 0;
		}
		/* a message and its \r fill the buffer at most: the \n must come next. Every message
		 * buffered is read before the deadline is looked at, but every recv is followed by
		 * a look at it: a flood cannot keep a wait going. */
		if (q->len >= sizeof(q->buf))
			return fail(e, EX_PROTOCOL, "QMP %s: %s: a message longer than %d bytes",
				    q->where, what, QMP_MSG_MAX);
		n = wait_fd(q->fd, POLLIN, deadline);
		if (n <= 0)
			return n == 0 ? fail(e, EX_TEMPFAIL, "QMP %s: %s: timed out after %d ms", q->where,
					     what, ms) : fail_errno(e, EX_OSERR, "QMP %s: poll", q->where);
		/* recv without a control buffer: descriptors QEMU sends along (SCM_RIGHTS) are
		 * closed by the kernel, never installed in our process */
		n = recv(q->fd, q->buf + q->len, sizeof(q->buf) - q->len, MSG_DONTWAIT);
		if (n == 0)
			return fail(e, EX_UNAVAILABLE, "QMP %s: %s: connection closed by QEMU%s",
				    q->where, what, q->len ? " in the middle of a message" : "");
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return fail_errno(e, errno == ECONNRESET ? EX_UNAVAILABLE : EX_OSERR,
					  "QMP %s: %s: read", q->where, what);
		if (n > 0)
			q->len += (size_t)n;
	}
}

/* Keep an event for qmp_wait_event; past 16, the oldest goes. */
static void keep_event(struct qmp *q, const struct qmp_msg *m)
{
	size_t cap = sizeof(q->seen) / sizeof(q->seen[0]);

	if (q->n_seen == cap)
		memmove(q->seen, q->seen + 1, --q->n_seen * sizeof(q->seen[0]));
	q->seen[q->n_seen++] = *m;
}

/* text (with fd, when >= 0, along with its first byte), sent by the deadline. */
static int send_all(struct qmp *q, const char *cmd, const char *text, size_t len, int fd,
		    long long deadline, struct perr *e)
{
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl = { 0 };
	size_t off = 0;
	int r;

	ctl.h.cmsg_level = SOL_SOCKET;
	ctl.h.cmsg_type = SCM_RIGHTS;
	ctl.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&ctl.h), &fd, sizeof(int));
	while (off < len) {
		struct iovec iov = { (void *)(uintptr_t)(text + off), len - off };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (fd >= 0 && off == 0) {
			mh.msg_control = ctl.buf;
			mh.msg_controllen = sizeof(ctl.buf);
		}
		n = sendmsg(q->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return fail_errno(e, errno == EPIPE || errno == ECONNRESET ? EX_UNAVAILABLE :
					  EX_OSERR, "QMP %s: %s: send", q->where, cmd);
		r = wait_fd(q->fd, POLLOUT, deadline);
		if (r <= 0)
			return r == 0 ? fail(e, EX_TEMPFAIL, "QMP %s: %s: QEMU reads nothing within %d ms",
					     q->where, cmd, q->timeout_ms) :
					fail_errno(e, EX_OSERR, "QMP %s: poll", q->where);
	}
	return 0;
}

/* One command and its reply; fd (>= 0) goes along. */
static int exchange(struct qmp *q, const char *cmd, const char *args, int fd, struct qmp_msg *reply,
		    struct perr *e)
{
	long long deadline = now_ms() + q->timeout_ms, id = q->next_id++;
	struct jp j = { .s = args, .p = args, .end = args ? args + strlen(args) : args };
	struct qmp_msg m;
	char text[8192];
	int n;

	memset(reply, 0, sizeof(*reply));
	reply->id = -1;
	if (q->fd < 0 || !str_only(cmd, WORD_CHARS, 63))
		return fail(e, EX_SOFTWARE, "QMP %s: not connected, or a command that is no word", q->where);
	/* our own arguments through our own parser: a slip must not leave QEMU waiting for more */
	if (args && !one_object(&j, NULL, NULL))
		return fail(e, EX_SOFTWARE, "QMP %s: %s: arguments that are not one JSON object: %s",
			    q->where, cmd, j.why);
	n = snprintf(text, sizeof(text), "{\"execute\": \"%s\"%s%s, \"id\": %lld}\n", cmd,
		     args ? ", \"arguments\": " : "", args ? args : "", id);
	if (n < 0 || (size_t)n >= sizeof(text))
		return fail(e, EX_SOFTWARE, "QMP %s: %s: arguments too long", q->where, cmd);
	if (send_all(q, cmd, text, (size_t)n, fd, deadline, e) < 0)
		return -1;
	for (int skipped = 0;; skipped++) {
		if (skipped > QMP_SKIP_MAX)
			return fail(e, EX_PROTOCOL, "QMP %s: %s: more than %d messages before the reply",
				    q->where, cmd, QMP_SKIP_MAX);
		if (next_msg(q, deadline, cmd, q->timeout_ms, &m, e) < 0)
			return -1;
		if (m.type == QMP_GREETING)
			return fail(e, EX_PROTOCOL, "QMP %s: %s: a second greeting", q->where, cmd);
		if (m.type == QMP_EVENT)
			keep_event(q, &m);
		/* a reply to an earlier command that timed out is skipped; an error without an id
		 * is QEMU's answer to a command it could not read, which can only be this one */
		if (m.type == QMP_RETURN && m.id == id)
			break;
		if (m.type == QMP_ERROR && (m.id == id || m.id == -1)) {
			*reply = m;
			return fail(e, EX_UNAVAILABLE, "QMP %s: %s: %s: %s", q->where, cmd, m.err_class,
				    m.err_desc);
		}
	}
	if (strcmp(cmd, "query-status") == 0 && !m.status[0])
		return fail(e, EX_PROTOCOL, "QMP %s: query-status: a reply without a status", q->where);
	*reply = m;
	return 0;
}

int qmp_execute(struct qmp *q, const char *cmd, const char *args_json, struct qmp_msg *reply,
		struct perr *e)
{
	return exchange(q, cmd, args_json, -1, reply, e);
}

int qmp_getfd(struct qmp *q, int fd, const char *fdname, struct perr *e)
{
	struct qmp_msg reply;
	char args[128];

	/* QEMU refuses a name starting with a digit; a word needs no quoting */
	if (fd < 0 || !str_only(fdname, WORD_CHARS, 63) || (fdname[0] >= '0' && fdname[0] <= '9'))
		return fail(e, EX_SOFTWARE, "QMP %s: getfd: a bad descriptor or name", q->where);
	snprintf(args, sizeof(args), "{\"fdname\": \"%s\"}", fdname);
	return exchange(q, "getfd", args, fd, &reply, e);
}

int qmp_wait_event(struct qmp *q, const char *event, const char *device, int timeout_ms,
		   struct perr *e)
{
	long long deadline = now_ms() + timeout_ms;
	char what[96];
	struct qmp_msg m;

	for (size_t i = 0; i < q->n_seen; i++) {
		if (strcmp(q->seen[i].event, event) != 0 || (device && strcmp(q->seen[i].device, device) != 0))
			continue;
		memmove(q->seen + i, q->seen + i + 1, (--q->n_seen - i) * sizeof(q->seen[0]));
		return 0;
	}
	if (q->fd < 0)
		return fail(e, EX_SOFTWARE, "QMP %s: not connected", q->where);
	snprintf(what, sizeof(what), "waiting for %s", event);
	/* time alone bounds this wait: a guest that makes QEMU send events cannot end it early */
	for (;;) {
		if (next_msg(q, deadline, what, timeout_ms, &m, e) < 0)
			return -1;
		if (m.type == QMP_GREETING)
			return fail(e, EX_PROTOCOL, "QMP %s: %s: a second greeting", q->where, what);
		if (m.type != QMP_EVENT)
			continue; /* the late reply to a command that timed out */
		if (strcmp(m.event, event) == 0 && (!device || strcmp(m.device, device) == 0))
			return 0;
		keep_event(q, &m);
	}
}

/* The greeting and the negotiation on fd (ours now), q->where set. */
static int start(struct qmp *q, int fd, int timeout_ms, struct perr *e)
{
	int flags = fcntl(fd, F_GETFL), r = -1;
	struct qmp_msg m;

	q->fd = fd;
	q->timeout_ms = timeout_ms;
	q->next_id = 1;
	if (timeout_ms <= 0)
		fail(e, EX_SOFTWARE, "QMP %s: a timeout of %d ms", q->where, timeout_ms);
	else if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		fail_errno(e, EX_OSERR, "QMP %s: fcntl", q->where);
	else if (next_msg(q, now_ms() + timeout_ms, "greeting", timeout_ms, &m, e) < 0)
		;
	else if (m.type != QMP_GREETING)
		fail(e, EX_PROTOCOL, "QMP %s: expected a greeting, got another message", q->where);
	else
		r = qmp_execute(q, "qmp_capabilities", NULL, &m, e);
	if (r < 0)
		qmp_close(q);
	return r;
}

int qmp_open(struct qmp *q, int fd, int timeout_ms, struct perr *e)
{
	memset(q, 0, sizeof(*q));
	snprintf(q->where, sizeof(q->where), "QEMU");
	return start(q, fd, timeout_ms, e);
}

int qmp_connect(struct qmp *q, const char *path, int timeout_ms, struct perr *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int node, fd, r, code;
	struct stat st;

	memset(q, 0, sizeof(*q));
	q->fd = -1;
	if (xsnprintf(q->where, sizeof(q->where), "%s", path) < 0)
		return fail(e, EX_OSERR, "QMP %.60s...: a path too long for a socket", path);
	/* the socket itself, not what a symbolic link in its place would lead root to */
	node = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (node < 0)
		return fail_errno(e, errno == ENOENT ? EX_UNAVAILABLE : EX_OSERR, "QMP %s: open", path);
	if (fstat(node, &st) < 0 || !S_ISSOCK(st.st_mode)) {
		close(node);
		return fail(e, EX_OSERR, "QMP %s: not a socket", path);
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d", node);
	/* non-blocking from the start: a listener whose queue is full cannot hold us in connect */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	r = fd < 0 ? -1 : connect(fd, (const struct sockaddr *)&sa, sizeof(sa));
	code = errno == ECONNREFUSED ? EX_UNAVAILABLE : errno == EAGAIN ? EX_TEMPFAIL : EX_OSERR;
	if (r < 0) {
		fail_errno(e, code, "QMP %s: connect", path);
		if (fd >= 0)
			close(fd);
	}
	close(node);
	return r < 0 ? -1 : start(q, fd, timeout_ms, e);
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	q->len = q->n_seen = 0;
}
