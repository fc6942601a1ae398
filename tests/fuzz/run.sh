#!/bin/sh
# run.sh SRCDIR SECONDS SOURCES...: build every libFuzzer target under
# tests/fuzz/ with clang (ASan + UBSan) into fuzz-build/ of the current
# (build) folder, then run each for SECONDS with its seed corpus.  Crashes are
# kept in fuzz-build/crashes/<target>/; copy them into tests/fuzz/regress/
# so that tests/fuzz/regress.sh replays them in `make check`.  FUZZ_ONLY="doc schema"
# runs only those targets.
set -eu
# UBSan only prints by default and libFuzzer does not count that as a finding
# (doc.c's NULL + 0 sat unnoticed in the logs): make undefined behaviour a crash
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS
src=$1
secs=$2
shift 2
command -v clang >/dev/null || { echo "fuzz: clang is needed: apt-get install clang libclang-rt-14-dev" >&2; exit 2; }
out=fuzz-build
mkdir -p "$out/obj"
cflags="-g -O1 -std=gnu11 -fsanitize=fuzzer-no-link,address,undefined -I$src/include -I. \
	$(pkg-config --cflags libgit2 yaml-0.1 libpcre2-8 libcurl jansson libcrypto) \
	-DGATE_PKGDATADIR=\"$src/schemas\" -DGATE_FUZZ_SCHEMA_DIR=\"$src/schemas\""
libs="$(pkg-config --libs libgit2 yaml-0.1 libpcre2-8 libcurl jansson libcrypto) -pthread -lm"
# objects do not track their headers: a changed header rebuilds everything
if [ -f "$out/.stamp" ] && [ -n "$(find "$src/include" "$src/validate" "$src/hooks" -name '*.h' -newer "$out/.stamp" | head -n 1)" ]; then
	rm -f "$out"/obj/*.o
fi
touch "$out/.stamp"
objs=
for f in "$@"; do
	case $f in *.c) ;; *) continue ;; esac
	o="$out/obj/$(echo "$f" | tr / _ | sed 's/\.c$/.o/')"
	c="$src/$f"
	[ -f "$c" ] || c="./$f"   # generated into the build folder
	if [ ! -f "$o" ] || [ "$c" -nt "$o" ]; then
		clang $cflags -c "$c" -o "$o"
	fi
	objs="$objs $o"
done
# an archive, so that each target links only the objects it uses
rm -f "$out/libgate-fuzz.a"
ar rcs "$out/libgate-fuzz.a" $objs
for t in "$src"/tests/fuzz/*_fuzz.c; do
	name=$(basename "$t" .c)
	# FUZZ_ONLY="doc schema": run only these targets
	case " ${FUZZ_ONLY:-${name%_fuzz}} " in *" ${name%_fuzz} "*) ;; *) continue ;; esac
	clang $cflags -fsanitize=fuzzer "$t" "$out/libgate-fuzz.a" $libs -o "$out/$name"
	corpus="$out/corpus/$name"
	mkdir -p "$corpus" "$out/crashes/$name"
	[ -d "$src/tests/fuzz/seeds/$name" ] && cp -n "$src/tests/fuzz/seeds/$name"/* "$corpus"/ 2>/dev/null || true
	echo "fuzz: $name for $secs s"
	dict=
	[ -f "$src/tests/fuzz/${name%_fuzz}.dict" ] && dict="-dict=$src/tests/fuzz/${name%_fuzz}.dict"
	"$out/$name" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 $dict \
		-artifact_prefix="$out/crashes/$name/" -print_final_stats=1 "$corpus" 2>"$out/$name.log" || {
		echo "fuzz: $name found a problem: see $out/$name.log and $out/crashes/$name/" >&2
		tail -30 "$out/$name.log" >&2
		exit 1
	}
	grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$out/$name.log" | sed "s/^/fuzz: $name: /"
done
