/*
 * duration_test: Go's time.ParseDuration and the API server's `format:
 * duration` (kube-openapi strfmt), case by case.
 */
#include <stdint.h>
#include <string.h>

#include "gate/duration.h"
#include "../tap.h"

static void go_ok(const char *s, int64_t want)
{
	int64_t got = -12345;
	int rc = gate_duration_parse_go(s, strlen(s), &got);

	ok(rc == 0 && got == want, "go: \"%s\" is %lld ns (got rc %d, %lld)", s, (long long)want, rc, (long long)got);
}

static void go_bad(const char *s)
{
	ok(gate_duration_parse_go(s, strlen(s), NULL) < 0, "go: \"%s\" refused", s);
}

static void k8s(const char *s, int want)
{
	ok(gate_duration_valid_k8s(s, strlen(s)) == want, "format duration: \"%s\" %s", s,
		want ? "accepted" : "refused");
}

int main(void)
{
	go_ok("0", 0);
	go_ok("300ms", 300000000);
	go_ok("-1.5h", -5400000000000LL);
	go_ok("2h45m", 9900000000000LL);
	go_ok("+5s", 5000000000LL);
	go_ok("1.5s", 1500000000LL);
	go_ok(".5s", 500000000LL);
	go_ok("5.s", 5000000000LL);
	go_ok("1\xc2\xb5s", 1000);
	go_ok("1\xce\xbcs", 1000);
	go_ok("10us", 10000);
	go_ok("2562047h47m16.854775807s", INT64_MAX);
	go_bad("");
	go_bad("-");
	go_bad("5");
	go_bad("1d");
	go_bad("1h 30m");
	go_bad(".s");
	go_bad("PT1H");
	go_bad("2562047h47m16.854775808s");
	go_bad("9223372036854775808ns");

	k8s("10m", 1);
	k8s("1h30m", 1);
	k8s("2 days", 1);
	k8s("1h 30min", 1);
	k8s(" 3 weeks ", 1);
	k8s("5 Seconds", 1);
	k8s("100 micro", 1);
	k8s("7d", 1);
	k8s("1x 1h", 1);       /* strfmt: one known unit is enough */
	k8s("PT1H", 0);        /* ISO 8601: the API server refuses it */
	k8s("P1D", 0);
	k8s("1x", 0);
	k8s("h", 0);
	k8s("", 0);
	k8s("-1d", 0);         /* no sign outside Go's syntax */
	k8s("1.5d", 0);
	k8s("99999999999999999999 days", 0); /* Atoi out of range */
	k8s("1 fortnight", 0);
	return tap_done();
}
