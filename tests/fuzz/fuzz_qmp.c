/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_qmp.c - one message from QEMU, the untrusted peer: a parse either fails with one
 * "QMP QEMU: ..." line and an empty message, or gives one of the four shapes with every field
 * NUL-terminated, in its character set, and only where its shape has it. Blanks or a "\r\n"
 * after the message change nothing. */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "" or, when set, a non-empty string of set's characters, within its field. */
static void field_ok(const char *s, size_t size, const char *set)
{
	assert(strnlen(s, size) < size);
	assert(s[0] == '\0' || strspn(s, set) == strlen(s));
}

static void check(const struct qmp_msg *m, int r, const struct perr *e)
{
	if (r < 0) {
		assert(e->code == EX_PROTOCOL);
		assert(strncmp(e->msg, "QMP QEMU: ", 10) == 0);
		assert(strchr(e->msg, '\n') == NULL);
		assert(m->id == -1 && m->event[0] == '\0' && m->status[0] == '\0');
		return;
	}
	assert(r == 0 && e->code == 0);
	assert(m->type >= QMP_GREETING && m->type <= QMP_EVENT);
	assert(m->id >= -1);
	assert((m->id == -1) || m->type == QMP_RETURN || m->type == QMP_ERROR);
	field_ok(m->event, sizeof(m->event), "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	field_ok(m->device, sizeof(m->device), WORD_CHARS);
	field_ok(m->err_class, sizeof(m->err_class), WORD_CHARS);
	field_ok(m->status, sizeof(m->status), "abcdefghijklmnopqrstuvwxyz0123456789-");
	assert(strnlen(m->err_desc, sizeof(m->err_desc)) < sizeof(m->err_desc));
	assert((m->event[0] != '\0') == (m->type == QMP_EVENT));
	assert(m->device[0] == '\0' || m->type == QMP_EVENT);
	assert((m->err_class[0] != '\0') == (m->type == QMP_ERROR));
	assert(m->err_desc[0] == '\0' || m->type == QMP_ERROR);
	assert(m->status[0] == '\0' || m->type == QMP_RETURN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[QMP_MSG_MAX + 3];
	struct qmp_msg m, m2;
	struct perr e = { 0 }, e2 = { 0 };
	int r, r2;

	r = qmp_parse((const char *)data, size, &m, &e);
	check(&m, r, &e);
	if (size + 2 > QMP_MSG_MAX)
		return 0;
	memcpy(text, data, size);
	memcpy(text + size, "\r\n", 2);
	r2 = qmp_parse(text, size + 2, &m2, &e2);
	assert(r2 == r);
	assert(r < 0 || memcmp(&m, &m2, sizeof(m)) == 0);
	return 0;
}
