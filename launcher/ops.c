/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ops.c - --status and --stop (helper "ops" is writing these; placeholder bodies until then). */
#include "ops.h"

int op_status(const struct host_config *h, const char *name, bool json, struct perr *e)
{
	(void)h, (void)name, (void)json;
	return fail(e, EX_SOFTWARE, "--status: not built yet");
}

int op_stop(const struct host_config *h, const char *name, unsigned timeout_s, bool json, struct perr *e)
{
	(void)h, (void)name, (void)timeout_s, (void)json;
	return fail(e, EX_SOFTWARE, "--stop: not built yet");
}

int op_console(const struct host_config *h, const char *name, struct perr *e)
{
	(void)h, (void)name;
	return fail(e, EX_SOFTWARE, "--console: not built yet");
}
