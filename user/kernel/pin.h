/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A run pinned in bpffs, so that it outlives the process that started it
 * (the agent's experiments), and taken back from there. One directory per
 * run, 0700, holding (each 0600):
 *   map_NAME   every map of the object: the control block (.bss, with the
 *              armed flag and the deadline), rules, counters, flows, the
 *              ring buffer, targets, ...
 *   link_N     attachment N of the run when it is a link (tcx, XDP, cgroup)
 *   record     a one-entry BPF array whose value is a JSON text: what the
 *              run made and must put back (attachments, legacy clsact
 *              filters, root qdiscs replaced and what was there, network
 *              namespaces by inode) under "run", and the caller's part
 *              under "job". bpffs holds no plain files, so the record is
 *              a map too (`bpftool map dump pinned DIR/record` shows it).
 * bpffs refuses a name with a dot, so none has one.
 * Legacy clsact filters and fq qdiscs outlive a process anyway; they are
 * in the record so that whoever takes the run back can remove them.
 */
#ifndef FL_PIN_H
#define FL_PIN_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "run.h"

/* Is @dir on a bpffs mount? Pins can live nowhere else. */
bool fl_pin_dir_ok(const char *dir);
/* Pin @run's maps and links under @dir (made anew, 0700) with a record
 * holding @job (borrowed). On failure nothing is left under @dir.
 */
int fl_pin_save(const struct fl_run *run, const char *dir, json_object *job);
/* The record under @dir (the caller puts it). */
int fl_pin_read(const char *dir, json_object **rec, char *err, size_t errlen);
/* Take the run pinned under @dir back into @run, whose spec holds the
 * experiment's rules already: targets, namespaces (found again by inode),
 * attachments (links reopened from their pins; what is gone, with its
 * namespace, counts as detached), qdiscs to restore, the maps, and the
 * tracepoint programs loaded and attached anew. Its objects are recorded
 * under this process for 'faultline cleanup' and the dead process's
 * records dropped. On error @run still holds what it found, so that
 * fl_session_stop removes it.
 */
int fl_pin_open(struct fl_run *run, const char *dir, json_object *rec, char *err, size_t errlen);
/* Unpin everything under @dir and remove it; a link whose only holder was
 * its pin detaches. Idempotent.
 */
void fl_pin_remove(const char *dir);

#endif /* FL_PIN_H */
