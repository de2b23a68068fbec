// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader.c - open, configure and load the BPF object. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "core/loader.h"
#include "core/pins.h"
#include "ta_count.skel.h"
#include "tlsaudit.skel.h"

static void say_load_error(int err, int pinned)
{
	if (err == -EPERM || err == -EACCES)
		fprintf(stderr, "tlsaudit: permission denied loading BPF programs: run as root "
				"(CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON and CAP_SYS_ADMIN)\n");
	else if (pinned && err == -EINVAL)
		fprintf(stderr,
			"tlsaudit: cannot load the BPF programs: %s (pinned counters in %s "
			"from another version? clear them with tlsaudit --reset)\n",
			strerror(-err), TA_PIN_DIR);
	else
		fprintf(stderr,
			"tlsaudit: cannot load the BPF programs: %s (run with -v for the "
			"verifier log)\n",
			strerror(-err));
}

/* The element-count iterator is a nicety: without it (a kernel before 6.6)
 * the flow table is walked instead. */
static void load_counter(struct ta_loader *l)
{
	struct bpf_map_info info = {}, info2 = {};
	__u32 len = sizeof(info), len2 = sizeof(info2);

	if (bpf_obj_get_info_by_fd(bpf_map__fd(l->skel->maps.flows), &info, &len) ||
	    bpf_obj_get_info_by_fd(bpf_map__fd(l->skel->maps.new_flows), &info2, &len2))
		return;
	l->count = ta_count__open();
	if (!l->count)
		return;
	l->count->bss->target_id = info.id;
	l->count->bss->target_id2 = info2.id;
	if (ta_count__load(l->count))
		goto fail;
	l->count_link = bpf_program__attach_iter(l->count->progs.ta_count_map, NULL);
	if (!l->count_link)
		goto fail;
	return;
fail:
	ta_count__destroy(l->count);
	l->count = NULL;
}

int ta_loader_load(struct ta_loader *l, const struct ta_loader_config *cfg)
{
	struct tlsaudit *skel;
	int err, p;

	memset(l, 0, sizeof(*l));
	skel = tlsaudit__open();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "tlsaudit: cannot open the BPF object: %s\n", strerror(-err));
		return err;
	}
	l->skel = skel;
	for (p = 0; p < 65536; p++)
		if (cfg->ports[p >> 3] & (1u << (p & 7)))
			skel->rodata->ta_ports[p >> 3] |= 1u << (p & 7);
	skel->rodata->ta_enforce = cfg->enforce;
	err = bpf_map__set_max_entries(skel->maps.flows, cfg->max_flows);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.new_flows,
					       ta_new_flows_for(cfg->max_flows));
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.tombs, ta_tombs_for(cfg->max_flows));
	if (!err && cfg->ringbuf_bytes)
		err = bpf_map__set_max_entries(skel->maps.events, cfg->ringbuf_bytes);
	if (!err && cfg->captures_bytes)
		err = bpf_map__set_max_entries(skel->maps.captures, cfg->captures_bytes);
	if (err) {
		fprintf(stderr, "tlsaudit: cannot size the flow table: %s\n", strerror(-err));
		return err;
	}
	/* after sizing: a pin is reused only by a map of the same size */
	if (cfg->pin) {
		err = ta_pins_prepare(); /* says why itself */
		if (err)
			return err;
		err = ta_pins_set(skel->obj);
		if (err) {
			fprintf(stderr, "tlsaudit: cannot pin the counters: %s\n", strerror(-err));
			return err;
		}
	}
	if (cfg->hold) {
		err = ta_pins_hold(skel->obj);
		if (err) {
			fprintf(stderr, "tlsaudit: cannot pin the flow table for --enforce: %s\n",
				strerror(-err));
			return err;
		}
	}
	err = tlsaudit__load(skel);
	if (err) {
		say_load_error(err, cfg->pin);
		return err;
	}
	for (p = 0; p < cfg->n_allow; p++) {
		__u8 one = 1;

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.allow), &cfg->allow[p], &one, 0)) {
			err = -errno;
			fprintf(stderr, "tlsaudit: cannot load --allow prefixes: %s\n",
				strerror(-err));
			return err;
		}
	}
	load_counter(l);
	return 0;
}

void ta_loader_close(struct ta_loader *l)
{
	bpf_link__destroy(l->count_link);
	ta_count__destroy(l->count);
	tlsaudit__destroy(l->skel);
	memset(l, 0, sizeof(*l));
}

static __u64 walk_count(int fd)
{
	struct ta_flow_key k, next, *prev = NULL;
	__u64 n = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		n++;
		k = next;
		prev = &k;
	}
	return n;
}

__u64 ta_loader_live_flows(struct ta_loader *l)
{
	char buf[64];
	int fd;

	if (l->count) {
		/* each read of a new iterator instance runs the count once */
		fd = bpf_iter_create(bpf_link__fd(l->count_link));
		if (fd >= 0) {
			l->count->bss->found = 0;
			l->count->bss->elems = 0;
			while (read(fd, buf, sizeof(buf)) > 0)
				;
			close(fd);
			if (l->count->bss->found == 2 && l->count->bss->elems >= 0)
				return (__u64)l->count->bss->elems;
		}
	}
	return walk_count(bpf_map__fd(l->skel->maps.flows)) +
	       walk_count(bpf_map__fd(l->skel->maps.new_flows));
}
