#!/bin/sh
# bench/scan.sh: the streaming secret scanner through `validate -policy
# builtin` on logs of 8, 32 and 64 MiB (UTF-8) and a 32 MiB UTF-16LE one
# without a mark, each with one AWS key at its end.  Prints wall time, CPU
# time, peak RSS and MiB scanned per CPU second: the peak must stay flat
# (the scanner's window is 1 MiB whatever the file's size).  Needs
# /usr/bin/time (apt-get install time) and iconv.
set -eu
: "${GATE_SRCDIR:?}" "${GATE_BUILDDIR:?}" "${GATE_BIN:?}"
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time missing (apt-get install time)" >&2; exit 1; }
dir="$GATE_BUILDDIR/bench-data/scan"
mkdir -p "$dir"
mklog() {
	[ -f "$dir/$1.log" ] && return 0
	awk -v n="$2" 'BEGIN { l = "2026-01-01T00:00:00Z INFO served /api/v1/items in 12ms status=200 bytes=5120"
		for (i = 0; i < n; i++) print l; print "key=AKIAQWERTYUIOPASDFGH" }' >"$dir/$1.log"
}
mklog u8-8 105000
mklog u8-32 420000
mklog u8-64 830000
[ -f "$dir/u16-32.log" ] || iconv -f UTF-8 -t UTF-16LE "$dir/u8-32.log" | head -c 33554432 >"$dir/u16-32.log.tmp"
[ -f "$dir/u16-32.log.tmp" ] && { printf 'k\0e\0y\0=\0A\0K\0I\0A\0Q\0W\0E\0R\0T\0Y\0U\0I\0O\0P\0A\0S\0D\0F\0G\0H\0\n\0' >>"$dir/u16-32.log.tmp"; mv "$dir/u16-32.log.tmp" "$dir/u16-32.log"; }
printf '%-10s %9s %8s %8s %9s %8s\n' file MiB wall_s cpu_s peak_MiB MiB/cpu_s
for f in u8-8 u8-32 u8-64 u16-32; do
	set +e
	/usr/bin/time -f '%e %U %S %M' -o "$dir/time" "$GATE_BIN" validate -policy builtin "$dir/$f.log" >"$dir/out" 2>&1
	rc=$?
	set -e
	[ "$rc" = 1 ] && grep -q "aws access key id" "$dir/out" || { echo "bench scan: $f: the key was not found" >&2; cat "$dir/out" >&2; exit 1; }
	read -r wall user sys rss <<EOT
$(tail -n 1 "$dir/time")
EOT
	size=$(wc -c <"$dir/$f.log")
	awk -v f="$f" -v s="$size" -v w="$wall" -v u="$user" -v y="$sys" -v r="$rss" 'BEGIN {
		m = s / 1048576; c = u + y; printf "%-10s %9.1f %8.2f %8.2f %9.1f %8.0f\n", f, m, w, c, r / 1024, (c > 0 ? m / c : 0) }'
done
