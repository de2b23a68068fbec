/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * container.h - container and pod ids named by a cgroup2 path, as the common
 * runtimes lay them out.
 */
#ifndef TA_CONTAINER_H
#define TA_CONTAINER_H

#include <stddef.h>

/*
 * From a cgroup path, the innermost container id (docker-<id>.scope,
 * /docker/<id>, cri-containerd-<id>.scope, crio-<id>.scope, libpod-<id>.scope)
 * into id, and a Kubernetes pod uid (kubepods...pod<uid>) into pod, with
 * underscores turned back into dashes. Either may come out empty. Returns 1
 * when anything was found.
 */
int ta_container_from_cgroup(const char *path, char *id, size_t idn, char *pod, size_t podn);

#endif
