/*
 * What yunhui-term tells a person and a program: the live one-line status
 * (stderr, once a second; redrawn in place on a terminal) and the final
 * --json report of single mode (load mode builds its own in load.c).
 */
#ifndef YT_REPORT_H
#define YT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "session.h"
#include "term.h"

/* Figures of one received stream now, from its decoder or its counter. */
void yt_report_stream_stats(yt_stream_t *st, uint64_t now_us, yt_rx_stats_t *out);

/* The status line (no newline). */
void yt_report_status(yt_session_t *s, const yt_options_t *o, const yt_sent_t *sent,
                      double elapsed_s, uint64_t now_us, char *buf, size_t cap);
/* Prints it: "\r...\033[K" on a terminal, a plain line otherwise. */
void yt_report_status_print(const char *line, int tty);

/* The final report: {"mode":"single", ...} (see --help). New reference. */
json_t *yt_report_single(yt_session_t *s, const yt_options_t *o, const yt_sent_t *sent,
                         double duration_s, uint64_t now_us);

#endif
