// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* container.c - container ids from cgroup paths. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "owners/container.h"

/* Container ids are 64 lowercase hex digits in every runtime we know; accept
 * 12..64 so a shortened id in a hand-made cgroup still reads as one. */
static size_t hex_run(const char *s)
{
	size_t n = 0;

	while (s[n] && isxdigit((unsigned char)s[n]) && !isupper((unsigned char)s[n]))
		n++;
	return n;
}

/* A pod uid: 32 hex digits in 8-4-4-4-12 groups, joined by - or _. */
static size_t uid_run(const char *s)
{
	size_t n = 0;

	while (s[n] && (isxdigit((unsigned char)s[n]) || s[n] == '-' || s[n] == '_'))
		n++;
	return n == 36 ? n : 0;
}

static int match_component(const char *c, size_t len, char *id, size_t idn)
{
	static const char *const prefixes[] = { "docker-", "cri-containerd-", "crio-", "libpod-" };
	size_t i, pl, h;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		pl = strlen(prefixes[i]);
		if (len <= pl || strncmp(c, prefixes[i], pl))
			continue;
		h = hex_run(c + pl);
		/* docker-<id>.scope, or a bare docker-<id> */
		if (h >= 12 && h <= 64 && (pl + h == len || !strncmp(c + pl + h, ".scope", 6))) {
			snprintf(id, idn, "%.*s", (int)h, c + pl);
			return 1;
		}
	}
	return 0;
}

int ta_container_from_cgroup(const char *path, char *id, size_t idn, char *pod, size_t podn)
{
	const char *c = path, *end, *p;
	const char *prev = NULL;
	size_t len, prevlen = 0, h, i;
	int found = 0;

	if (idn)
		id[0] = '\0';
	if (podn)
		pod[0] = '\0';
	while (c && *c) {
		while (*c == '/')
			c++;
		if (!*c)
			break;
		end = strchr(c, '/');
		len = end ? (size_t)(end - c) : strlen(c);
		if (match_component(c, len, id, idn))
			found = 1;
		/* /docker/<id>: the id is a component of its own under "docker" */
		h = hex_run(c);
		if (h == len && h >= 12 && h <= 64 && prev && prevlen == 6 &&
		    !strncmp(prev, "docker", 6)) {
			snprintf(id, idn, "%.*s", (int)h, c);
			found = 1;
		}
		/* kubepods-besteffort-pod<uid>.slice or /kubepods/burstable/pod<uid> */
		p = NULL;
		if (!strncmp(c, "kubepods", 8)) {
			for (i = 0; i + 3 < len; i++)
				if (!strncmp(c + i, "pod", 3) &&
				    (i == 0 || c[i - 1] == '-' || c[i - 1] == '/'))
					p = c + i + 3;
		} else if (prev && !strncmp(path, "/kubepods", 9) && len > 3 &&
			   !strncmp(c, "pod", 3)) {
			p = c + 3;
		}
		if (p && uid_run(p) && podn > 36) {
			for (i = 0; i < 36; i++)
				pod[i] = p[i] == '_' ? '-' : p[i];
			pod[36] = '\0';
			found = 1;
		}
		prev = c;
		prevlen = len;
		c = end;
	}
	return found;
}
