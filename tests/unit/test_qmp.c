/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_qmp.c - the QMP client (launcher/qmp.c): its parser on QEMU 7.2's own lines and on what
 * it must refuse, and the client against fake QEMUs on a socketpair that misbehave. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#include "cm.h"
#include "qmp.h"

/* Lines seen from qemu-system-x86_64 7.2 (Debian 12), each with its "\r\n". */
#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, " \
	"\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}\r\n"
#define STATUS "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, \"id\": 9}\r\n"
#define ERROR "{\"id\": 10, \"error\": {\"class\": \"CommandNotFound\", " \
	"\"desc\": \"The command n\\u00F6pe\\u0001 has not been found\"}}\r\n"
#define RESUME "{\"timestamp\": {\"seconds\": 1796150293, \"microseconds\": 15085}, \"event\": \"RESUME\"}\r\n"
#define DELETED "{\"timestamp\": {\"seconds\": 1796150381, \"microseconds\": 54620}, \"event\": " \
	"\"DEVICE_DELETED\", \"data\": {\"device\": \"tab1\", \"path\": \"/machine/peripheral/tab1\"}}\r\n"
#define SHUTDOWN "{\"timestamp\": {\"seconds\": 1796150294, \"microseconds\": 817102}, \"event\": " \
	"\"SHUTDOWN\", \"data\": {\"guest\": false, \"reason\": \"host-qmp-quit\"}}\r\n"

static int parse(const char *text, struct qmp_msg *m, struct perr *e)
{
	memset(e, 0, sizeof(*e));
	return qmp_parse(text, strlen(text), m, e);
}

static void test_shapes(void **state)
{
	struct qmp_msg m;
	struct perr e;

	(void)state;
	assert_int_equal(parse(GREETING, &m, &e), 0);
	assert_int_equal(m.type, QMP_GREETING);
	assert_int_equal(m.id, -1);

	assert_int_equal(parse(STATUS, &m, &e), 0);
	assert_int_equal(m.type, QMP_RETURN);
	assert_int_equal(m.id, 9);
	assert_string_equal(m.status, "running");
	assert_int_equal(parse("{\"return\": {}}\r\n", &m, &e), 0);
	assert_int_equal(m.id, -1);
	assert_string_equal(m.status, "");
	/* the parser cannot know the command: an array is a fine return (query-pci's is) */
	assert_int_equal(parse("{\"return\": [], \"id\": 3}", &m, &e), 0);
	assert_string_equal(m.status, "");

	assert_int_equal(parse(ERROR, &m, &e), 0);
	assert_int_equal(m.type, QMP_ERROR);
	assert_int_equal(m.id, 10);
	assert_string_equal(m.err_class, "CommandNotFound");
	/* beyond ASCII comes back as SUB, a control character as itself: a message escapes both */
	assert_string_equal(m.err_desc, "The command n\x1ape\x01 has not been found");

	assert_int_equal(parse(RESUME, &m, &e), 0);
	assert_int_equal(m.type, QMP_EVENT);
	assert_string_equal(m.event, "RESUME");
	assert_string_equal(m.device, "");
	assert_int_equal(parse(DELETED, &m, &e), 0);
	assert_string_equal(m.event, "DEVICE_DELETED");
	assert_string_equal(m.device, "tab1");
	assert_int_equal(parse(SHUTDOWN, &m, &e), 0);
	assert_string_equal(m.event, "SHUTDOWN");
	assert_string_equal(m.device, "");

	/* another event's device that is no name of ours is simply not one */
	assert_int_equal(parse("{\"event\": \"BLOCK_IO_ERROR\", \"timestamp\": {}, \"data\": {\"device\": \"\"}}", &m, &e), 0);
	assert_string_equal(m.device, "");
	assert_int_equal(parse("{\"event\": \"X\", \"timestamp\": {}, \"data\": {\"device\": 7}}", &m, &e), 0);
	assert_string_equal(m.device, "");
	/* escapes, a surrogate pair, every literal, numbers of every form, blanks */
	assert_int_equal(parse(" {\"error\": {\"desc\": \"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\ud83d\\ude00\", "
			       "\"class\": \"GenericError\", \"x\": [true, false, null, -0, 1.5e+3, 2E-2, {}]}} \r\n",
			       &m, &e), 0);
	assert_string_equal(m.err_desc, "a\"\\/\b\f\n\r\tA\x1a");
	/* a description is cut to fit, never overrun */
	char desc[600];
	snprintf(desc, sizeof(desc), "{\"error\": {\"class\": \"C\", \"desc\": \"%0500d\"}}", 7);
	assert_int_equal(parse(desc, &m, &e), 0);
	assert_int_equal(strlen(m.err_desc), sizeof(m.err_desc) - 1);
}

/* text is refused with one line naming QMP and EX_PROTOCOL, and m says nothing. */
static void refused(const char *text, size_t len)
{
	struct qmp_msg m;
	struct perr e = { 0 };

	if (qmp_parse(text, len, &m, &e) == 0)
		fail_msg("accepted: %.200s", text);
	assert_int_equal(e.code, EX_PROTOCOL);
	assert_int_equal(strncmp(e.msg, "QMP QEMU: ", 10), 0);
	assert_null(strchr(e.msg, '\n'));
	assert_int_equal(m.id, -1);
	assert_string_equal(m.event, "");
}
#define REFUSED(s) refused(s, strlen(s))
#define REFUSED_N(s) refused(s, sizeof(s) - 1) /* with a NUL inside */

/* "{"return": " depth arrays "}" (the top level is the first). */
static void nested(char *buf, size_t size, int depth)
{
	size_t o = (size_t)snprintf(buf, size, "{\"return\": ");

	for (int i = 1; i < depth; i++)
		buf[o++] = '[';
	for (int i = 1; i < depth; i++)
		buf[o++] = ']';
	snprintf(buf + o, size - o, "}");
}

static void test_refusals(void **state)
{
	static char big[QMP_MSG_MAX + 2];
	struct qmp_msg m;
	struct perr e = { 0 };
	const char *line = DELETED;

	(void)state;
	/* truncated anywhere */
	for (size_t n = 0; n < strlen(line) - 2; n++)
		refused(line, n);
	REFUSED("{\"return\": {}} x");
	REFUSED("{\"return\": {}}{\"return\": {}}");
	REFUSED("{\"return\": {},}");
	REFUSED("{\"return\" {}}");
	REFUSED("{'return': {}}");
	REFUSED("{\"return\": tru}");
	REFUSED("{\"return\": 01}");
	REFUSED("{\"return\": 1.}");
	REFUSED("{\"return\": .5}");
	REFUSED("{\"return\": +1}");
	/* deep */
	nested(big, sizeof(big), 1000);
	refused(big, strlen(big));
	nested(big, sizeof(big), QMP_DEPTH_MAX + 1);
	refused(big, strlen(big));
	nested(big, sizeof(big), QMP_DEPTH_MAX);
	assert_int_equal(qmp_parse(big, strlen(big), &m, &e), 0);
	/* numbers: huge, and ids that are not ours */
	REFUSED("{\"return\": {}, \"id\": 99999999999999999999}");
	REFUSED("{\"return\": 1234567890123456789012345678901234567890}");
	REFUSED("{\"return\": 1e123456789012345678901234567890123}");
	REFUSED("{\"return\": {}, \"id\": -1}");
	REFUSED("{\"return\": {}, \"id\": 1.0}");
	REFUSED("{\"return\": {}, \"id\": \"1\"}");
	/* strings */
	REFUSED("{\"error\": {\"class\": \"C\", \"desc\": \"\\x41\"}}");
	REFUSED("{\"error\": {\"class\": \"C\", \"desc\": \"\\u12G4\"}}");
	REFUSED("{\"error\": {\"class\": \"C\", \"desc\": \"\\u12\"}}");
	REFUSED("{\"error\": {\"class\": \"C\", \"desc\": \"a\\u0000b\"}}");
	REFUSED("{\"error\": {\"class\": \"C\", \"desc\": \"\\ud800\"}}");
	REFUSED("{\"error\": {\"class\": \"C\", \"desc\": \"\\ud800\\u0041\"}}");
	REFUSED("{\"error\": {\"class\": \"C\", \"desc\": \"\\udc00\"}}");
	REFUSED("{\"error\": {\"class\": \"C\", \"desc\": \"tab\there\"}}");
	REFUSED("{\"error\": {\"class\": \"C\", \"desc\": \"caf\xc3\xa9\"}}");
	REFUSED_N("{\"error\": {\"class\": \"C\", \"desc\": \"a\0b\"}}");
	REFUSED_N("{\"return\": {}}\0");
	/* keys: repeated, missing, of the wrong type, unknown, in the wrong shape */
	REFUSED("{\"return\": {}, \"return\": {}}");
	REFUSED("{\"return\": {\"status\": \"running\", \"status\": \"paused\"}}");
	REFUSED("{\"return\": {\"status\": 1}}");
	REFUSED("{\"return\": {\"status\": \"RUNNING\"}}");
	REFUSED("{\"return\": {\"status\": \"a-status-of-thirty-two-characters\"}}");
	REFUSED("{\"error\": {\"class\": \"C\", \"class\": \"C\", \"desc\": \"d\"}}");
	REFUSED("{\"error\": {\"class\": \"C\"}}");
	REFUSED("{\"error\": {\"desc\": \"d\"}}");
	REFUSED("{\"error\": {\"class\": \"two words\", \"desc\": \"d\"}}");
	REFUSED("{\"error\": \"broken\"}");
	REFUSED("{\"event\": \"STOP\"}");
	REFUSED("{\"event\": \"stop\", \"timestamp\": {}}");
	REFUSED("{\"event\": \"\", \"timestamp\": {}}");
	REFUSED("{\"event\": 5, \"timestamp\": {}}");
	REFUSED("{\"event\": \"STOP\", \"timestamp\": {}, \"id\": 1}");
	REFUSED("{\"event\": \"STOP\", \"timestamp\": {}, \"data\": []}");
	REFUSED("{\"event\": \"STOP\", \"timestamp\": {}, \"data\": {\"device\": \"a\", \"device\": \"b\"}}");
	REFUSED("{\"return\": {}, \"timestamp\": {}}");
	REFUSED("{\"QMP\": {}, \"id\": 1}");
	REFUSED("{\"QMP\": []}");
	REFUSED("{\"return\": {}, \"error\": {\"class\": \"C\", \"desc\": \"d\"}}");
	REFUSED("{\"return\": {}, \"extra\": 1}");
	REFUSED("{}");
	/* not an object */
	REFUSED("");
	REFUSED("[]");
	REFUSED("\"return\"");
	REFUSED("42");
	REFUSED("null");
	/* longer than a message may be */
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"return\": {}}", 14);
	refused(big, QMP_MSG_MAX + 1);
	assert_int_equal(qmp_parse(big, QMP_MSG_MAX, &m, &e), 0);
}

/* ---- fake QEMUs: a child on the other end of a socketpair ---- */

static pid_t child;

static void put(int fd, const char *s)
{
	(void)!send(fd, s, strlen(s), MSG_NOSIGNAL);
}

/* One command from the client (up to its \n) into line; its id, or -1 at EOF. */
static long long get(int fd, char *line, size_t size)
{
	size_t o = 0;
	const char *id;
	char c;

	while (o + 1 < size && read(fd, &c, 1) == 1 && c != '\n')
		line[o++] = c;
	line[o] = '\0';
	id = strstr(line, "\"id\": "); /* ours is the last: arguments may have one */
	while (id && strstr(id + 1, "\"id\": "))
		id = strstr(id + 1, "\"id\": ");
	return id ? atoll(id + 6) : -1;
}

static void reply(int fd, long long id, const char *ret)
{
	char out[512];

	snprintf(out, sizeof(out), "{\"return\": %s, \"id\": %lld}\r\n", ret, id);
	put(fd, out);
}

/* Greeting, qmp_capabilities answered: what every fake QEMU does first. */
static void handshake(int fd)
{
	char line[4096];

	put(fd, GREETING);
	reply(fd, get(fd, line, sizeof(line)), "{}");
}

/* The next command's id. */
static long long next_cmd(int fd)
{
	char line[4096];

	return get(fd, line, sizeof(line));
}

static long long first_cmd(int fd)
{
	handshake(fd);
	return next_cmd(fd);
}

/* Until the client hangs up. */
static void drain(int fd)
{
	char c;

	while (read(fd, &c, 1) == 1)
		;
}

/* Start fake QEMU fn on a socketpair; q connected to it (unless handshake is false). */
static int serve(struct qmp *q, void (*fn)(int), bool shake, struct perr *e)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fflush(NULL);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(sv[0]);
		signal(SIGPIPE, SIG_IGN);
		alarm(30);
		fn(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	memset(e, 0, sizeof(*e));
	if (!shake) {
		memset(q, 0, sizeof(*q));
		q->fd = sv[0];
		return 0;
	}
	return qmp_open(q, sv[0], 2000, e);
}

/* The client hangs up; the child's exit status. */
static int finish(struct qmp *q)
{
	int st;

	qmp_close(q);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static long long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static struct qmp q; /* 70 KiB: not on the stack */

static void srv_status(int fd)
{
	long long id = first_cmd(fd);
	char wrong[256];

	/* an event, a late reply to an earlier command, then ours */
	put(fd, RESUME);
	snprintf(wrong, sizeof(wrong), "{\"return\": {\"status\": \"paused\"}, \"id\": %lld}\r\n", id + 100);
	put(fd, wrong);
	reply(fd, id, "{\"status\": \"running\", \"singlestep\": false, \"running\": true}");
	id = get(fd, wrong, sizeof(wrong));
	reply(fd, id, "[]"); /* query-status again: an array */
	drain(fd);
}

static void test_client_status(void **state)
{
	struct qmp_msg r;
	struct perr e;

	(void)state;
	assert_int_equal(serve(&q, srv_status, true, &e), 0);
	assert_int_equal(qmp_execute(&q, "query-status", NULL, &r, &e), 0);
	assert_int_equal(r.type, QMP_RETURN);
	assert_string_equal(r.status, "running");
	assert_int_equal(r.id, 2);
	/* the event read meanwhile counts, once */
	assert_int_equal(q.n_seen, 1);
	assert_int_equal(qmp_wait_event(&q, "RESUME", NULL, 0, &e), 0);
	assert_int_equal(q.n_seen, 0);
	assert_int_equal(qmp_execute(&q, "query-status", NULL, &r, &e), -1);
	assert_int_equal(e.code, EX_PROTOCOL);
	assert_string_equal(e.msg, "QMP QEMU: query-status: a reply without a status");
	assert_int_equal(finish(&q), 0);
}

static void srv_long(int fd)
{
	char junk[65536];

	first_cmd(fd);
	memset(junk, 'a', sizeof(junk));
	put(fd, "{\"return\": \"");
	/* 16 MiB if anyone reads it all; the client must hang up long before */
	for (int i = 0; i < 256; i++)
		if (send(fd, junk, sizeof(junk), MSG_NOSIGNAL) < 0)
			_exit(0);
	_exit(1);
}

static void test_client_long(void **state)
{
	struct qmp_msg r;
	struct perr e;

	(void)state;
	assert_int_equal(serve(&q, srv_long, true, &e), 0);
	assert_int_equal(qmp_execute(&q, "cont", NULL, &r, &e), -1);
	assert_int_equal(e.code, EX_PROTOCOL);
	assert_string_equal(e.msg, "QMP QEMU: cont: a message longer than 65536 bytes");
	assert_int_equal(finish(&q), 0);
}

static void srv_silent(int fd)
{
	first_cmd(fd);
	drain(fd);
}

/* the reply one byte at a time, each well within the timeout, all of them well past it */
static void srv_drip(int fd)
{
	char out[64];
	long long id = first_cmd(fd);

	snprintf(out, sizeof(out), "{\"return\": {}, \"id\": %lld}\r\n", id);
	for (size_t i = 0; out[i]; i++) {
		if (send(fd, out + i, 1, MSG_NOSIGNAL) < 0)
			return;
		usleep(50000);
	}
	drain(fd);
}

static void test_client_timeout(void **state)
{
	void (*srv[])(int) = { srv_silent, srv_drip };
	struct timespec t0;
	struct qmp_msg r;
	struct perr e;
	long long took;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(serve(&q, srv[i], true, &e), 0);
		q.timeout_ms = 300;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(qmp_execute(&q, "cont", NULL, &r, &e), -1);
		took = ms_since(&t0);
		assert_int_equal(e.code, EX_TEMPFAIL);
		assert_string_equal(e.msg, "QMP QEMU: cont: timed out after 300 ms");
		assert_true(took >= 290 && took < 800);
		assert_int_equal(finish(&q), 0);
	}
	/* no greeting at all */
	assert_int_equal(serve(&q, drain, false, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(qmp_open(&q, q.fd, 200, &e), -1);
	assert_true(ms_since(&t0) < 700);
	assert_int_equal(e.code, EX_TEMPFAIL);
	assert_string_equal(e.msg, "QMP QEMU: greeting: timed out after 200 ms");
	assert_int_equal(q.fd, -1);
	assert_int_equal(finish(&q), 0);
}

static int flood_n;

static void srv_flood(int fd)
{
	char ev[256];
	long long id = first_cmd(fd);

	for (int i = 0; i < flood_n; i++) {
		snprintf(ev, sizeof(ev), "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, "
			 "\"event\": \"DEVICE_DELETED\", \"data\": {\"device\": \"d%d\"}}\r\n", i);
		if (send(fd, ev, strlen(ev), MSG_NOSIGNAL) < 0)
			return;
	}
	reply(fd, id, "{}");
	drain(fd);
}

static void test_client_flood(void **state)
{
	struct timespec t0;
	struct qmp_msg r;
	struct perr e;

	(void)state;
	flood_n = 100000;
	assert_int_equal(serve(&q, srv_flood, true, &e), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(qmp_execute(&q, "cont", NULL, &r, &e), -1);
	assert_true(ms_since(&t0) < 1500);
	assert_int_equal(e.code, EX_PROTOCOL);
	assert_string_equal(e.msg, "QMP QEMU: cont: more than 1000 messages before the reply");
	assert_int_equal(q.n_seen, 16);
	assert_int_equal(finish(&q), 0);

	/* below the bound: the reply, and the 16 newest events kept */
	flood_n = 900;
	assert_int_equal(serve(&q, srv_flood, true, &e), 0);
	assert_int_equal(qmp_execute(&q, "cont", NULL, &r, &e), 0);
	assert_int_equal(q.n_seen, 16);
	assert_string_equal(q.seen[0].device, "d884");
	assert_string_equal(q.seen[15].device, "d899");
	assert_int_equal(qmp_wait_event(&q, "DEVICE_DELETED", "d890", 0, &e), 0);
	assert_int_equal(qmp_wait_event(&q, "DEVICE_DELETED", "d890", 0, &e), -1);
	assert_int_equal(e.code, EX_TEMPFAIL);
	assert_int_equal(finish(&q), 0);
}

static const char *bad_text;

static void srv_bad(int fd)
{
	first_cmd(fd);
	put(fd, bad_text);
}

static void test_client_garbage(void **state)
{
	static const struct { const char *text, *msg; int code; } cases[] = {
		{ "hello world\r\n", "QMP QEMU: malformed message, byte 0: expected '{', got 'h'", EX_PROTOCOL },
		{ "{\"return\": {", "QMP QEMU: cont: connection closed by QEMU in the middle of a message",
		  EX_UNAVAILABLE },
		{ "", "QMP QEMU: cont: connection closed by QEMU", EX_UNAVAILABLE },
		{ GREETING, "QMP QEMU: cont: a second greeting", EX_PROTOCOL },
	};
	struct qmp_msg r;
	struct perr e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bad_text = cases[i].text;
		assert_int_equal(serve(&q, srv_bad, true, &e), 0);
		assert_int_equal(qmp_execute(&q, "cont", NULL, &r, &e), -1);
		assert_string_equal(e.msg, cases[i].msg);
		assert_int_equal(e.code, cases[i].code);
		assert_int_equal(finish(&q), 0);
	}
}

static void srv_error(int fd)
{
	char out[256];
	long long id = first_cmd(fd);

	snprintf(out, sizeof(out), "{\"id\": %lld, \"error\": {\"class\": \"GenericError\", "
		 "\"desc\": \"no\\u001b[2J\\nway\"}}\r\n", id);
	put(fd, out);
	drain(fd);
}

static void test_client_error(void **state)
{
	struct qmp_msg r;
	struct perr e;

	(void)state;
	assert_int_equal(serve(&q, srv_error, true, &e), 0);
	assert_int_equal(qmp_execute(&q, "device_del", "{\"id\": \"x\"}", &r, &e), -1);
	assert_int_equal(e.code, EX_UNAVAILABLE);
	assert_int_equal(r.type, QMP_ERROR);
	assert_string_equal(r.err_class, "GenericError");
	/* QEMU's words reach the message escaped: no escape sequence, no second line */
	assert_string_equal(e.msg, "QMP QEMU: device_del: GenericError: no\\x1b[2J\\x0away");
	/* our own slips are caught before anything is sent */
	memset(&e, 0, sizeof(e));
	assert_int_equal(qmp_execute(&q, "device_del", "{\"id\": \"x\"", &r, &e), -1);
	assert_int_equal(e.code, EX_SOFTWARE);
	memset(&e, 0, sizeof(e));
	assert_int_equal(qmp_execute(&q, "a\"b", NULL, &r, &e), -1);
	assert_int_equal(e.code, EX_SOFTWARE);
	memset(&e, 0, sizeof(e));
	assert_int_equal(qmp_getfd(&q, 0, "0x", &e), -1);
	assert_int_equal(e.code, EX_SOFTWARE);
	assert_int_equal(finish(&q), 0);
}

/* The reply comes with a descriptor of QEMU's attached. */
static void srv_fdback(int fd)
{
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl = { 0 };
	char out[64];
	struct iovec iov = { out, 0 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	long long id = first_cmd(fd);
	int gift = open("/dev/null", O_RDONLY);

	iov.iov_len = (size_t)snprintf(out, sizeof(out), "{\"return\": {}, \"id\": %lld}\r\n", id);
	ctl.h.cmsg_level = SOL_SOCKET;
	ctl.h.cmsg_type = SCM_RIGHTS;
	ctl.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&ctl.h), &gift, sizeof(int));
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
		_exit(2);
	drain(fd);
}

static void test_client_no_fd_taken(void **state)
{
	struct qmp_msg r;
	struct perr e;
	int before;

	(void)state;
	assert_int_equal(serve(&q, srv_fdback, true, &e), 0);
	before = count_fds();
	assert_int_equal(qmp_execute(&q, "cont", NULL, &r, &e), 0);
	assert_int_equal(count_fds(), before);
	assert_int_equal(finish(&q), 0);
}

/* QEMU's side of getfd: the descriptor must come with the command, and be the pipe. */
static void srv_getfd(int fd)
{
	union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl;
	char line[512], c = 0;
	struct iovec iov = { line, sizeof(line) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	int got = -1;
	ssize_t n;

	handshake(fd);
	n = recvmsg(fd, &mh, 0);
	if (n <= 0 || mh.msg_controllen < CMSG_LEN(sizeof(int)) || ctl.h.cmsg_type != SCM_RIGHTS)
		_exit(3);
	line[n] = '\0';
	memcpy(&got, CMSG_DATA(&ctl.h), sizeof(int));
	if (!strstr(line, "\"execute\": \"getfd\"") || !strstr(line, "\"fdname\": \"claim0\"") ||
	    read(got, &c, 1) != 1 || c != 'x')
		_exit(4);
	reply(fd, 2, "{}");
	drain(fd);
}

static void test_client_getfd(void **state)
{
	struct perr e;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(serve(&q, srv_getfd, true, &e), 0);
	assert_int_equal(qmp_getfd(&q, p[0], "claim0", &e), 0);
	assert_int_equal(finish(&q), 0);
	close(p[0]);
	close(p[1]);
}

static void srv_events(int fd)
{
	char ev[256];

	handshake(fd);
	put(fd, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}\r\n");
	put(fd, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"DEVICE_DELETED\", "
		"\"data\": {\"path\": \"/machine/peripheral-anon/device[0]\"}}\r\n");
	put(fd, "{\"return\": {}, \"id\": 77}\r\n");
	put(fd, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"DEVICE_DELETED\", "
		"\"data\": {\"device\": \"other\"}}\r\n");
	put(fd, DELETED);
	usleep(300000);
	/* then events that are never the one awaited, without end */
	snprintf(ev, sizeof(ev), "%s", RESUME);
	while (send(fd, ev, strlen(ev), MSG_NOSIGNAL) > 0)
		;
}

static void test_client_wait(void **state)
{
	struct timespec t0;
	struct perr e;

	(void)state;
	assert_int_equal(serve(&q, srv_events, true, &e), 0);
	assert_int_equal(qmp_wait_event(&q, "DEVICE_DELETED", "tab1", 2000, &e), 0);
	/* those read on the way are kept */
	assert_int_equal(qmp_wait_event(&q, "STOP", NULL, 0, &e), 0);
	assert_int_equal(qmp_wait_event(&q, "DEVICE_DELETED", "other", 0, &e), 0);
	assert_int_equal(qmp_wait_event(&q, "DEVICE_DELETED", "", 0, &e), 0);
	/* a stream of other events ends the wait only at its time */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(qmp_wait_event(&q, "SHUTDOWN", NULL, 700, &e), -1);
	assert_true(ms_since(&t0) >= 690 && ms_since(&t0) < 1500);
	assert_int_equal(e.code, EX_TEMPFAIL);
	assert_string_equal(e.msg, "QMP QEMU: waiting for SHUTDOWN: timed out after 700 ms");
	assert_int_equal(finish(&q), 0);

	/* QEMU gone */
	assert_int_equal(serve(&q, handshake, true, &e), 0);
	assert_int_equal(qmp_wait_event(&q, "SHUTDOWN", NULL, 2000, &e), -1);
	assert_int_equal(e.code, EX_UNAVAILABLE);
	assert_int_equal(finish(&q), 0);
}

/* qmp_connect: a socket file with a fake QEMU behind it, and one with nobody. */
static void test_connect(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[256], path[300], link[300];
	struct qmp_msg r;
	struct perr e = { 0 };
	int l, c;

	(void)state;
	scratch(dir);
	snprintf(path, sizeof(path), "%s/vm.qmp", dir);
	assert_int_equal(qmp_connect(&q, path, 500, &e), -1);
	assert_int_equal(e.code, EX_UNAVAILABLE);
	assert_int_equal(strncmp(e.msg, "QMP /", 5), 0);
	assert_non_null(strstr(e.msg, "/vm.qmp: open: No such file or directory"));

	assert_true(strlen(path) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(l, 1), 0);
	fflush(NULL);
	child = fork();
	if (child == 0) {
		alarm(30);
		c = accept(l, NULL, NULL);
		srv_silent(c);
		_exit(0);
	}
	close(l);
	/* a symbolic link to it, a file: not followed, not a socket */
	snprintf(link, sizeof(link), "%s/link.qmp", dir);
	assert_int_equal(symlink(path, link), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(qmp_connect(&q, link, 300, &e), -1);
	assert_int_equal(e.code, EX_OSERR);
	assert_non_null(strstr(e.msg, "/link.qmp: not a socket"));
	put_file(dir, "file.qmp", "", 0600);
	snprintf(link, sizeof(link), "%s/file.qmp", dir);
	memset(&e, 0, sizeof(e));
	assert_int_equal(qmp_connect(&q, link, 300, &e), -1);
	assert_non_null(strstr(e.msg, "/file.qmp: not a socket"));
	memset(&e, 0, sizeof(e));
	assert_int_equal(qmp_connect(&q, path, 300, &e), 0);
	assert_int_equal(qmp_execute(&q, "cont", NULL, &r, &e), -1);
	/* later messages name the socket too */
	assert_int_equal(strncmp(e.msg, "QMP /", 5), 0);
	assert_non_null(strstr(e.msg, "/vm.qmp: cont: timed out after 300 ms"));
	assert_int_equal(finish(&q), 0);
	rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),        cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_client_status), cmocka_unit_test(test_client_long),
		cmocka_unit_test(test_client_timeout), cmocka_unit_test(test_client_flood),
		cmocka_unit_test(test_client_garbage), cmocka_unit_test(test_client_error),
		cmocka_unit_test(test_client_no_fd_taken), cmocka_unit_test(test_client_getfd),
		cmocka_unit_test(test_client_wait),   cmocka_unit_test(test_connect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
