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
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "core/hold.h"
#include "core/pins.h"
#include "tlsaudit.h"

#define TA_PIN_NAME(name) #name,
static const char *const pin_names[] = { TA_PIN_MAPS(TA_PIN_NAME) };
#undef TA_PIN_NAME
#define N_PINS (sizeof(pin_names) / sizeof(pin_names[0]))

/* The pin directory holds what --enforce and the exporter trust after a
 * restart, and --reset unlinks in it: it must be a real directory (not a
 * symlink), on bpffs, owned by root and open to nobody else. Checked with
 * lstat before every use; the check holds until we are done because only
 * root could replace a root-owned entry of a directory that others cannot
 * write (or that is sticky, as a shared /sys/fs/bpf is). */
static int pins_dir_check(void)
{
	struct statfs sfs;
	struct stat st, parent;
	const char *why = NULL;

	if (lstat(TA_PIN_DIR, &st))
		return -errno;
	if (stat("/sys/fs/bpf", &parent))
		return -errno;
	if (S_ISLNK(st.st_mode))
		why = "is a symlink";
	else if (!S_ISDIR(st.st_mode))
		why = "is not a directory";
	else if (st.st_uid != 0)
		why = "is not owned by root";
	else if (st.st_mode & 077)
		why = "is open to group or others (want mode 0700)";
	else if (statfs(TA_PIN_DIR, &sfs) || sfs.f_type != BPF_FS_MAGIC)
		why = "is not on a bpf filesystem";
	else if ((parent.st_mode & 022) && !(parent.st_mode & S_ISVTX))
		why = "has a parent that others can write";
	if (!why)
		return 0;
	fprintf(stderr, "tlsaudit: %s %s: refusing to use it (remove it, or fix it, as root)\n",
		TA_PIN_DIR, why);
	return -EPERM;
}

int ta_pins_prepare(void)
{
	struct statfs sfs;
	struct stat st;

	/* Mount bpffs only where there is none: mounting again stacks a new,
	 * empty instance over the old one, hiding the pinned counters (and
	 * everybody else's pins) from then on. */
	if (stat("/sys/fs/bpf", &st) == 0 &&
	    (statfs("/sys/fs/bpf", &sfs) || sfs.f_type != BPF_FS_MAGIC))
		mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"); /* checked below */
	if (mkdir(TA_PIN_DIR, 0700) && errno != EEXIST) {
		int err = -errno;

		fprintf(stderr, "tlsaudit: cannot create %s: %s\n", TA_PIN_DIR, strerror(-err));
		return err;
	}
	return pins_dir_check();
}

/* A hash of a BTF type's layout: kinds, sizes, member names and offsets, down
 * through the member types. Two builds whose flow state differs in any field
 * hash differently even when the sizes agree, so a pinned table is reused
 * only by a build that reads it the same way. */
static __u64 layout_hash(const struct btf *btf, __u32 id, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	__u64 h = 1469598103934665603ull;
	const struct btf_member *m;
	const char *name;
	int i;

#define MIX(v) (h = (h ^ (__u64)(v)) * 1099511628211ull)
	while (t && (btf_is_typedef(t) || btf_is_const(t) || btf_is_volatile(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (!t || depth > 8)
		return h;
	MIX(btf_kind(t));
	if (btf_is_array(t)) {
		MIX(btf_array(t)->nelems);
		MIX(layout_hash(btf, btf_array(t)->type, depth + 1));
		return h;
	}
	MIX(t->size);
	if (!btf_is_composite(t))
		return h;
	for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++) {
		name = btf__name_by_offset(btf, m->name_off);
		for (; name && *name; name++)
			MIX(*name);
		MIX(btf_member_bit_offset(t, i));
		MIX(layout_hash(btf, m->type, depth + 1));
	}
#undef MIX
	return h;
}

/* Does the pinned map's value have the layout of ours? Maps without BTF
 * (plain counters) are judged by their sizes alone. */
static int same_layout(const struct bpf_object *obj, struct bpf_map *map,
		       const struct bpf_map_info *info)
{
	const struct btf *ours = bpf_object__btf(obj);
	__u32 our_id = bpf_map__btf_value_type_id(map);
	struct btf *theirs;
	int same;

	if (!ours || !our_id || !info->btf_id || !info->btf_value_type_id)
		return !our_id && !info->btf_value_type_id;
	theirs = btf__load_from_kernel_by_id(info->btf_id);
	if (!theirs)
		return 0;
	same = layout_hash(ours, our_id, 0) == layout_hash(theirs, info->btf_value_type_id, 0);
	btf__free(theirs);
	return same;
}

/* A map pinned by a version with another shape (more counters, another flow
 * state) cannot be reused: say so and start it afresh rather than refuse to
 * run. */
static int pin_map(const struct bpf_object *obj, struct bpf_map *map, const char *path,
		   const char *what)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd >= 0) {
		if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != bpf_map__type(map) ||
		    info.key_size != bpf_map__key_size(map) ||
		    info.value_size != bpf_map__value_size(map) ||
		    info.max_entries != bpf_map__max_entries(map) ||
		    info.map_flags != bpf_map__map_flags(map) || !same_layout(obj, map, &info)) {
			fprintf(stderr,
				"tlsaudit: %s was pinned by another version of tlsaudit or with "
				"other sizes; %s\n",
				path, what);
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
		err = pin_map(obj, map, path, "its counts start again from zero");
		if (err)
			return err;
	}
	return 0;
}

#define TA_HOLD_NAME(name) #name,
static const char *const hold_map_names[] = { TA_HOLD_MAPS(TA_HOLD_NAME) };
#undef TA_HOLD_NAME

int ta_pins_hold(struct bpf_object *obj)
{
	char path[256];
	struct bpf_map *map;
	size_t i;
	int err;

	err = ta_hold_prepare();
	if (err)
		return err;
	for (i = 0; i < sizeof(hold_map_names) / sizeof(hold_map_names[0]); i++) {
		map = bpf_object__find_map_by_name(obj, hold_map_names[i]);
		if (!map)
			return -ENOENT;
		ta_hold_map_path(path, sizeof(path), hold_map_names[i]);
		err = pin_map(obj, map, path,
			      "connections judged before it are now seen midstream");
		if (err)
			return err;
	}
	return 0;
}

int ta_pins_reset(void)
{
	char path[256];
	size_t i;
	int rc = 0, err;

	err = pins_dir_check();
	if (err == -ENOENT) {
		fprintf(stderr, "tlsaudit: no pinned counters in %s\n", TA_PIN_DIR);
		return 0;
	}
	if (err) {
		if (err != -EPERM)
			fprintf(stderr, "tlsaudit: cannot check %s: %s\n", TA_PIN_DIR,
				strerror(-err));
		return 1;
	}
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
