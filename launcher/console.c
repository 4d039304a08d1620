/* SPDX-License-Identifier: GPL-2.0-or-later */
/* console.c - --console NAME: the caller's terminal on the VM's serial console socket
 * (<state_dir>/vms/NAME.console), in raw mode until Ctrl-] or the VM's end; the terminal is
 * given back as it was on every way out, a signal included. Without a terminal (a pipe, a
 * test), bytes pass both ways until our input ends, then the guest's answer drains briefly. */
#include "ops.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "claim.h"
#include "prepare.h"
#include "vmconf.h"

#define ESCAPE_KEY 0x1d   /* Ctrl-], as telnet and virsh console */
#define DRAIN_QUIET_MS 1000 /* input ended: the guest's output until it is quiet this long, */
#define DRAIN_MAX_MS 5000   /* and no longer than this in all */
#define CHUNK 4096

static struct termios saved;
static volatile sig_atomic_t raw_on;

static void restore(void)
{
	if (raw_on) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		raw_on = 0;
	}
}

/* SIGTERM, SIGHUP, SIGINT, SIGQUIT while the terminal is raw: give it back, then die of the
 * signal as we would have (tcsetattr is async-signal-safe). */
static void on_signal(int sig)
{
	if (raw_on)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The console socket of a live VM, connected. */
static int console_open(const struct host_config *h, const char *name, struct perr *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct claim_info ci;
	char path[600];
	struct stat sb;
	int fd;

	if (vm_lease(h->state_dir, name, &ci, e) < 0 ||
	    vms_path(path, sizeof(path), h->state_dir, name, "console", e) < 0)
		return -1;
	if (!ci.held || ci.unreadable || strcmp(ci.vm, name) != 0)
		return fail(e, EX_UNAVAILABLE, "no VM named %s is running", name);
	/* the launcher binds it as root, 0600: anything else at that path is not its */
	if (lstat(path, &sb) < 0 && errno == ENOENT)
		return fail(e, EX_UNAVAILABLE, "vm %s has no console (serial = socket in its vm.ini makes one)", name);
	if (!S_ISSOCK(sb.st_mode) || sb.st_uid != geteuid())
		return fail(e, EX_SOFTWARE, "%s: not a console socket of ours", path);
	if (strlen(path) >= sizeof(sa.sun_path))
		return fail(e, EX_CONFIG, "%s: too long for a socket path", path);
	strcpy(sa.sun_path, path);
	/* non-blocking: a listener whose queue is full cannot hold us in connect */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fail_errno(e, EX_OSERR, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fail_errno(e, errno == EAGAIN ? EX_TEMPFAIL : EX_UNAVAILABLE, "%s", path);
		close(fd);
		return -1;
	}
	return fd;
}

static void raw_mode(void)
{
	static const int sigs[] = { SIGTERM, SIGHUP, SIGINT, SIGQUIT };
	struct sigaction sa = { .sa_handler = on_signal };
	struct termios t;

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	if (tcgetattr(STDIN_FILENO, &saved) < 0)
		return;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	t = saved;
	cfmakeraw(&t);
	/* the flag first: a signal between the two finds something to restore, at worst a no-op */
	raw_on = 1;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0)
		raw_on = 0;
}

/* Bytes both ways until: the escape key (a terminal), our input's end and a short drain (no
 * terminal), or the VM's end (the socket's). Returns 0, or -1 with e set. */
static int relay(int sock, bool tty, const char *name, struct perr *e)
{
	char in[CHUNK], out[CHUNK];
	size_t in_len = 0, in_off = 0;
	bool in_open = true, detach = false;
	long long drain_end = 0, quiet_end = 0;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = in_open && !detach && in_len == 0 ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = sock, .events = (short)(POLLIN | (in_len ? POLLOUT : 0)) },
		};
		int wait = -1;

		if (!in_open) {
			long long now = now_ms(), end = quiet_end < drain_end ? quiet_end : drain_end;

			if (now >= end)
				return 0;
			wait = (int)(end - now);
		}
		if (poll(p, 2, wait) < 0) {
			if (errno == EINTR)
				continue;
			return fail_errno(e, EX_OSERR, "poll");
		}
		if (p[0].revents) {
			ssize_t n = read(STDIN_FILENO, in, sizeof(in));
			char *esc;

			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n < 0)
				return fail_errno(e, EX_IOERR, "standard input");
			if (n == 0 && tty)
				return 0;
			if (n == 0) {
				in_open = false;
				drain_end = now_ms() + DRAIN_MAX_MS;
				quiet_end = now_ms() + DRAIN_QUIET_MS;
				continue;
			}
			in_len = (size_t)n;
			in_off = 0;
			if (tty && (esc = memchr(in, ESCAPE_KEY, in_len)) != NULL) {
				/* what came before the key still goes, then we are done */
				in_len = (size_t)(esc - in);
				detach = true;
				if (in_len == 0)
					return 0;
			}
		}
		if (p[1].revents & POLLOUT && in_len > in_off) {
			ssize_t w = send(sock, in + in_off, in_len - in_off, MSG_NOSIGNAL);

			if (w < 0 && errno != EAGAIN && errno != EINTR)
				return fail(e, EX_UNAVAILABLE, "vm %s: the console closed (%s)", name, strerror(errno));
			if (w > 0)
				in_off += (size_t)w;
			if (in_off == in_len) {
				in_len = in_off = 0;
				if (detach)
					return 0; /* the bytes before the escape key are out */
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = recv(sock, out, sizeof(out), 0);

			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0) {
				/* the VM ended, or its QEMU closed the console */
				fprintf(stderr, "%s%s: vm %s: console closed\n", tty ? "\r\n" : "", progname, name);
				return 0;
			}
			/* the guest's bytes as they are, as virsh console does (see pcipass-run(8)) */
			if (write_all(STDOUT_FILENO, out, (size_t)n) < 0)
				return fail_errno(e, EX_IOERR, "standard output");
			if (!in_open)
				quiet_end = now_ms() + DRAIN_QUIET_MS;
		}
	}
}

int op_console(const struct host_config *h, const char *name, struct perr *e)
{
	bool tty = isatty(STDIN_FILENO) == 1;
	void (*old_pipe)(int);
	int sock, r;

	if ((sock = console_open(h, name, e)) < 0)
		return -1;
	/* a closed standard output is an error to report, not a death that leaves the terminal raw */
	old_pipe = signal(SIGPIPE, SIG_IGN);
	/* raw first: a key typed once the line is seen goes to the guest as it is */
	if (tty) {
		raw_mode();
		fprintf(stderr, "connected to %s's console; Ctrl-] detaches\r\n", name);
	}
	r = relay(sock, tty, name, e);
	restore();
	if (tty && r == 0)
		fprintf(stderr, "\n");
	signal(SIGPIPE, old_pipe);
	close(sock);
	return r;
}
