// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* hold.c - pinned links that keep --enforce on between runs. */
#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "core/attach.h"
#include "core/hold.h"
#include "core/pins.h"
#include "tlsaudit.h"

/* Debian's uapi headers predate tcx (Linux 6.6) */
#define TA_BPF_LINK_TYPE_TCX 11

static const char *const point_names[] = { "ingress", "egress", "xdp" };

static unsigned long netns_inode(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (unsigned long)st.st_ino;
}

void ta_hold_map_path(char *out, size_t n, const char *map)
{
	snprintf(out, n, "%s/net%lu-map-%s", TA_HOLD_DIR, netns_inode(), map);
}

static void hold_path(char *out, size_t n, int ifindex, enum ta_hold_point point)
{
	snprintf(out, n, "%s/net%lu-if%d-%s", TA_HOLD_DIR, netns_inode(), ifindex,
		 point_names[point]);
}

/* Is the pinned link still on (ifindex, point)? A tcx or XDP link whose
 * device is gone reads back ifindex 0. Both kinds keep ifindex first in
 * their part of bpf_link_info. */
static int link_is_at(int fd, int ifindex, enum ta_hold_point point)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	if (point == TA_HOLD_XDP ? info.type != BPF_LINK_TYPE_XDP
				 : info.type != TA_BPF_LINK_TYPE_TCX)
		return 0;
	return (int)info.xdp.ifindex == ifindex;
}

int ta_hold_take(int ifindex, enum ta_hold_point point, int prog_fd)
{
	char path[256];
	int fd, err;

	hold_path(path, sizeof(path), ifindex, point);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	if (!link_is_at(fd, ifindex, point)) {
		/* left by a run whose interface went away, or not a link at all */
		close(fd);
		unlink(path);
		return -ENOENT;
	}
	if (bpf_link_update(fd, prog_fd, NULL)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int ta_hold_prepare(void)
{
	int err = ta_pins_prepare();

	if (err)
		return err;
	if (mkdir(TA_HOLD_DIR, 0700) && errno != EEXIST) {
		err = -errno;
		fprintf(stderr, "tlsaudit: cannot create %s: %s\n", TA_HOLD_DIR, strerror(-err));
		return err;
	}
	return 0;
}

int ta_hold_pin(int ifindex, enum ta_hold_point point, int link_fd)
{
	char path[256];
	int err;

	err = ta_hold_prepare();
	if (err)
		return err;
	hold_path(path, sizeof(path), ifindex, point);
	unlink(path); /* a stale pin for the same place, already found dead */
	return bpf_obj_pin(link_fd, path) ? -errno : 0;
}

void ta_hold_unpin(int ifindex, enum ta_hold_point point)
{
	char path[256];

	hold_path(path, sizeof(path), ifindex, point);
	unlink(path);
}

int ta_hold_count(void)
{
	char prefix[64];
	struct dirent *de;
	DIR *d;
	int n = 0;

	d = opendir(TA_HOLD_DIR);
	if (!d)
		return 0;
	snprintf(prefix, sizeof(prefix), "net%lu-if", netns_inode());
	while ((de = readdir(d)))
		n += !strncmp(de->d_name, prefix, strlen(prefix));
	closedir(d);
	return n;
}

int ta_hold_release(void)
{
	struct if_nameindex *ifs, *it;
	char path[512];
	struct dirent *de;
	int links = 0, maps = 0, filters = 0, rc = 0;
	DIR *d;

	d = opendir(TA_HOLD_DIR);
	if (d) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", TA_HOLD_DIR, de->d_name);
			if (unlink(path)) {
				fprintf(stderr, "tlsaudit: cannot remove %s: %s\n", path,
					strerror(errno));
				rc = 1;
				continue;
			}
			if (strstr(de->d_name, "-map-"))
				maps++;
			else
				links++;
		}
		closedir(d);
		rmdir(TA_HOLD_DIR);
	} else if (errno != ENOENT) {
		fprintf(stderr, "tlsaudit: cannot read %s: %s\n", TA_HOLD_DIR, strerror(errno));
		rc = 1;
	}
	ifs = if_nameindex();
	for (it = ifs; it && it->if_index; it++)
		filters += ta_clsact_remove_ours((int)it->if_index);
	if (ifs)
		if_freenameindex(ifs);
	fprintf(stderr,
		"tlsaudit: enforcement released: %d held link%s and %d map%s unpinned, %d tc "
		"filter%s removed\n",
		links, links == 1 ? "" : "s", maps, maps == 1 ? "" : "s", filters,
		filters == 1 ? "" : "s");
	return rc;
}
