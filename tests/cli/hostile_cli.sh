#!/bin/sh
# hostile_cli.sh: hostile input gets a clear error line and exit 1, fast and
# in bounded memory: billion laughs, 100k nesting, NUL, invalid UTF-8, an
# 8 MB scalar, a 70 MB file.  Each run must finish within 1 s and under
# 200 MiB (measured with /usr/bin/time when installed: apt-get install time).
. "$GATE_SRCDIR/tests/lib.sh"

[ -x "$GATE_BIN" ] || bail "no binary at $GATE_BIN"
data=$(gate_data)
k8s=$(gate_k8s_location "$data")
cd "$T_DIR"

# billion laughs: 9 levels of 9 aliases
{
	echo "apiVersion: v1"
	echo "kind: ConfigMap"
	echo "metadata: {name: lol}"
	echo 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
	i=1
	while [ $i -le 9 ]; do
		p=$((i - 1))
		echo "a$i: &a$i [*a$p,*a$p,*a$p,*a$p,*a$p,*a$p,*a$p,*a$p,*a$p]"
		i=$((i + 1))
	done
} >laughs.yaml
python3 -c 'import sys; sys.stdout.write("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: " + "["*100000 + "]"*100000 + "\n")' >deep.yaml
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: n\000ul\n' >nul.yaml
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\377\376utf8\n' >utf8.yaml
python3 -c 'import sys; sys.stdout.write("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  x: " + "a"*(8<<20) + "\n")' >scalar.yaml
python3 -c '
import sys
doc = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n---\n"
n = (70 << 20) // len(doc) + 1
sys.stdout.write(doc * n)' >huge.yaml

have_time=
[ -x /usr/bin/time ] && have_time=1

for f in laughs deep nul utf8 scalar huge; do
	set +e
	if [ -n "$have_time" ]; then
		/usr/bin/time -f '%e %M' -o "$f.time" "$GATE_BIN" validate -schema-location "$k8s" \
			-kubernetes-version 1.32.2 "$f.yaml" >"$f.out" 2>"$f.err"
	else
		"$GATE_BIN" validate -schema-location "$k8s" -kubernetes-version 1.32.2 "$f.yaml" >"$f.out" 2>"$f.err"
	fi
	rc=$?
	set -e
	first=$(head -n 1 "$f.out")
	is "$f: exit status 1" "$rc" 1
	like "$f: an error line naming the file" "$first" "$f.yaml"
	like "$f: the line says error" "$first" "error"
	is "$f: one line per problem, no flood" "$(wc -l <"$f.out" | awk '$1 <= 3 {print "few"}')" "few"
	if [ -n "$have_time" ]; then
		read -r secs kib <<T || true
$(tail -n 1 "$f.time")
T
		echo "# $f: $secs s, $kib KiB: $(head -c 200 "$f.out" | tr -d '\000')"
		ok "$f: within 1 s" awk -v s="$secs" 'BEGIN { exit !(s + 0 <= 1.0) }'
		ok "$f: under 200 MiB" awk -v k="$kib" 'BEGIN { exit !(k + 0 < 200 * 1024) }'
	fi
done
done_testing
