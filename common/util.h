/* SPDX-License-Identifier: GPL-2.0-or-later */
/* util.h - errors, checked numbers and small string helpers shared by every pcipass program. */
#ifndef PCIPASS_UTIL_H
#define PCIPASS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <sysexits.h>

#define PRINTF(f, a) __attribute__((format(printf, f, a)))
#define MUST_CHECK __attribute__((warn_unused_result))
#define NORETURN __attribute__((noreturn))

#define PCIPASS_VERSION "0.1.0"

/* An error on its way to main: one line of text and the sysexits.h status to leave with. */
struct perr {
	int code;
	char msg[768];
};

/* Record an error (the first one wins) and return -1, so callers can `return fail(...)`. */
int fail(struct perr *e, int code, const char *fmt, ...) PRINTF(3, 4);
/* Like fail(), with ": strerror(errno)" appended. */
int fail_errno(struct perr *e, int code, const char *fmt, ...) PRINTF(3, 4);

/* Every byte of s that is not printable ASCII as \xNN, in place, within
 * size: no value from a file or the command line can start a log line or move the cursor. */
void log_escape(char *s, size_t size);

/* Descriptors 0, 1 and 2 open (on /dev/null if closed), before anything else is opened: a
 * lock or a socket must never become someone's standard input. Also makes exit() check that
 * standard output was written (else stdout_die). */
void stdio_ensure(void);
/* "PROG: cannot write to standard output" on stderr, exit 74 (EX_IOERR) at once. */
void stdout_die(void) NORETURN;

/* Program name for messages, set once by main. */
extern const char *progname;
/* Print "progname: msg" on stderr and exit with the error's status. */
void die_perr(const struct perr *e) NORETURN;
void die(int code, const char *fmt, ...) PRINTF(2, 3) NORETURN;
void warnx_(const char *fmt, ...) PRINTF(1, 2);
/* After getopt_long returned '?' or ':' (optstring starting with ':'): one line naming the
 * word of argv at fault, e.g. "-xq" for the unknown x in a group of short options. */
void die_getopt(int ch, int argc, char **argv) NORETURN;

/* Checked integer parse, in the spirit of OpenBSD's strtonum(): the whole string, in base
 * `base`, within [min, max]. Returns 0, or -1 with a reason ("not a number", "too large"...). */
int parse_ll(const char *s, int base, long long min, long long max, long long *out,
	     const char **why) MUST_CHECK;

/* Exactly four hex digits, an optional 0x/0X prefix; the value in *out. */
int parse_hex16(const char *s, unsigned *out) MUST_CHECK;

/* "true"/"false" (also yes/no, on/off, 1/0). */
int parse_bool(const char *s, bool *out) MUST_CHECK;

/* A PCI address as lspci or sysfs prints it ("0000:3b:00.0" or "3b:00.0"), stored in the
 * canonical sysfs form: lower case, the domain at least four hex digits and at most eight
 * (Intel VMD's domains are 10000-1ffff; lspci and sysfs print them whole). */
#define PCI_ADDR_LEN 17
int parse_pci_addr(const char *s, char out[PCI_ADDR_LEN]) MUST_CHECK;
/* Numeric address order (domain, bus, device, function) of two canonical addresses: strcmp
 * would put 10000:00:00.0 before ffff:00:00.0. */
int pci_addr_cmp(const char *a, const char *b);
/* Whether a canonical address's domain fits QEMU 7.2's host= (16 bits). */
bool pci_addr_domain16(const char *addr);

/* The characters of a name (model, VM, user, driver): A-Z a-z 0-9 . _ - */
#define WORD_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

/* A kernel driver's name as the inventory and claims hold it: WORD_CHARS and single spaces
 * between them (the kernel has "i6300ESB timer"), 1 to max bytes. */
bool driver_name_ok(const char *s, size_t max);

/* True when every byte of s is in the set of characters `allowed` and 1 <= strlen(s) <= max. */
bool str_only(const char *s, const char *allowed, size_t max);

/* snprintf that reports truncation as -1 instead of silently cutting. */
int xsnprintf(char *buf, size_t size, const char *fmt, ...) PRINTF(3, 4) MUST_CHECK;

/* Quote s for an error message: printable ASCII as is, anything else as \xNN, cut at 40. */
const char *shown(const char *s, char buf[static 128]);

/* A growing string. Allocation failure sticks (oom) and is reported once, at the end. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};
void sbuf_printf(struct sbuf *b, const char *fmt, ...) PRINTF(2, 3);
/* Append n bytes of s (no format: for text built in bulk, such as the inventory). */
void sbuf_add(struct sbuf *b, const char *s, size_t n);
void sbuf_free(struct sbuf *b);
/* One step of a VM's life, on stderr as "PROGNAME: vm VM: MESSAGE" (escaped), and in syslog too
 * while say_syslog is set (pcipass-run sets it when stderr is neither a terminal nor the
 * journal, and opens the log). */
extern bool say_syslog;
void say(const char *vm, const char *fmt, ...) PRINTF(2, 3);
/* An error that does not end the run (--release goes on with the other devices): on stderr as
 * "PROGNAME: MESSAGE", and in syslog too while say_syslog is set. */
void complain(const struct perr *e);

/* Milliseconds on the monotonic clock: for deadlines, never for dates. */
long long now_ms(void);

/* s as a JSON string, quoted, with quotes, backslashes and control characters escaped. */
void json_str(struct sbuf *b, const char *s);

#endif
