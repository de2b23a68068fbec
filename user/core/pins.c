// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pins.c - pinned maps under /sys/fs/bpf/tlsaudit. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "core/pins.h"
#include "tlsaudit.h"

#define TA_PIN_NAME(name) #name,
static const char *const pin_names[] = { TA_PIN_MAPS(TA_PIN_NAME) };
#undef TA_PIN_NAME
#define N_PINS (sizeof(pin_names) / sizeof(pin_names[0]))

int ta_pins_prepare(void)
{
	struct statfs sfs;
	struct stat st;

	/* Mount bpffs only where there is none: mounting again stacks a new,
	 * empty instance over the old one, hiding the pinned counters (and
	 * everybody else's pins) from then on. */
	if (stat("/sys/fs/bpf", &st) == 0 &&
	    (statfs("/sys/fs/bpf", &sfs) || sfs.f_type != BPF_FS_MAGIC))
		mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL); /* checked by mkdir below */
	if (mkdir(TA_PIN_DIR, 0700) && errno != EEXIST) {
		int err = -errno;

		fprintf(stderr, "tlsaudit: cannot create %s: %s\n", TA_PIN_DIR, strerror(-err));
		return err;
	}
	return 0;
}

/* A map pinned by a version with another shape (more counters, say) cannot
 * be reused: say so and start it afresh rather than refuse to run. */
static int pin_map(struct bpf_map *map, const char *path)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd >= 0) {
		if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != bpf_map__type(map) ||
		    info.key_size != bpf_map__key_size(map) ||
		    info.value_size != bpf_map__value_size(map) ||
		    info.max_entries != bpf_map__max_entries(map)) {
			fprintf(stderr,
				"tlsaudit: %s was pinned by another version of tlsaudit; "
				"its counts start again from zero\n",
				path);
			unlink(path);
		}
		close(fd);
	}
	return bpf_map__set_pin_path(map, path);
}

int ta_pins_set(struct bpf_object *obj)
{
	char path[256];
	struct bpf_map *map;
	size_t i;
	int err;

	for (i = 0; i < N_PINS; i++) {
		map = bpf_object__find_map_by_name(obj, pin_names[i]);
		if (!map)
			return -ENOENT;
		snprintf(path, sizeof(path), "%s/%s", TA_PIN_DIR, pin_names[i]);
		err = pin_map(map, path);
		if (err)
			return err;
	}
	return 0;
}

int ta_pins_reset(void)
{
	char path[256];
	size_t i;
	int rc = 0;

	for (i = 0; i < N_PINS; i++) {
		snprintf(path, sizeof(path), "%s/%s", TA_PIN_DIR, pin_names[i]);
		if (unlink(path) && errno != ENOENT) {
			fprintf(stderr, "tlsaudit: cannot remove %s: %s\n", path, strerror(errno));
			rc = 1;
		}
	}
	if (rmdir(TA_PIN_DIR) && errno != ENOENT && errno != ENOTEMPTY) {
		fprintf(stderr, "tlsaudit: cannot remove %s: %s\n", TA_PIN_DIR, strerror(errno));
		rc = 1;
	}
	if (!rc)
		fprintf(stderr, "tlsaudit: pinned counters in %s cleared\n", TA_PIN_DIR);
	return rc;
}
