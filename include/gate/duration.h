/*
 * duration: the duration syntaxes Kubernetes accepts.  Pure: no I/O.
 *
 *   - Go's time.ParseDuration: "300ms", "-1.5h", "2h45m", "0"; units ns, us,
 *     µs, μs, ms, s, m, h; the total within int64 nanoseconds;
 *   - the API server's `format: duration` (kube-openapi strfmt.ParseDuration,
 *     applied to custom resources): a Go duration, or a sequence of
 *     "<digits> <unit>" with units ns/nano, us/µs/micro, ms/milli, s/sec...,
 *     m/min..., h/hr/hour..., d/day..., w/wk/week... ("2 days", "1h 30m").
 *     ISO 8601 durations ("PT1H"), which JSON Schema's own format means, are
 *     refused, as the API server refuses them.
 */
#ifndef GATE_DURATION_H
#define GATE_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* Go's time.ParseDuration over s[0..len): 0 and *ns set (ns may be NULL), or -1. */
int gate_duration_parse_go(const char *s, size_t len, int64_t *ns);

/* 1 when the API server accepts s[0..len) for `format: duration`, else 0. */
int gate_duration_valid_k8s(const char *s, size_t len);

#endif
