#!/bin/sh
# draft4_cli.sh: the JSON-Schema-Test-Suite draft4 (Debian's
# json-schema-test-suite, all files but refRemote.json, which needs a
# server) through `gitops-gate validate --schema`.  Each schema and each
# datum is written to its own file; one TAP line per suite file, passing when
# every datum of it gets the suite's verdict.
. "$GATE_SRCDIR/tests/lib.sh"

suite=/usr/share/json-schema-test-suite/tests/draft4
[ -d "$suite" ] || skip_all "json-schema-test-suite not installed (apt-get install json-schema-test-suite)"
[ -x "$GATE_BIN" ] || bail "no binary at $GATE_BIN"

cd "$T_DIR"
python3 - "$suite" "$GATE_BIN" <<'PY'
import json, os, subprocess, sys
suite, gate = sys.argv[1], sys.argv[2]
n = passed = 0
for name in sorted(os.listdir(suite)):
    if not name.endswith(".json") or name == "refRemote.json":
        continue
    groups = json.load(open(os.path.join(suite, name)))
    fails = []
    total = good = 0
    for gi, g in enumerate(groups):
        d = "case-%s-%d" % (name[:-5], gi)
        os.mkdir(d)
        with open(os.path.join(d, "schema.json"), "w") as f:
            json.dump(g["schema"], f)
        files = []
        for ti, t in enumerate(g["tests"]):
            p = os.path.join(d, "data-%03d.json" % ti)
            with open(p, "w") as f:
                json.dump(t["data"], f)
            files.append(p)
        try:
            out = subprocess.run([gate, "validate", "--schema", os.path.join(d, "schema.json"),
                                  "-output", "json", "-verbose"] + files,
                                 capture_output=True, timeout=30)
            got = {r["filename"]: r["status"] for r in json.loads(out.stdout)["resources"]}
        except Exception as e:
            got = {}
            fails.append("%s: no usable output (%s) %s" % (g["description"], e, out.stderr[:200] if 'out' in dir() else ""))
        for ti, t in enumerate(g["tests"]):
            total += 1
            want = "statusValid" if t["valid"] else "statusInvalid"
            have = got.get(files[ti], "missing")
            if have == want:
                good += 1
            else:
                fails.append("%s / %s: want %s, got %s" % (g["description"], t["description"], want, have))
    n += 1
    passed += good
    print("%s %d - draft4 %s: %d/%d" % ("ok" if good == total else "not ok", n, name, good, total))
    for f in fails[:10]:
        print("#   " + f)
    sys.stdout.flush()
    with open(".total", "a") as f:
        f.write("%d %d %d\n" % (good, total, good == total))
PY
good=$(awk '{g+=$1} END {print g+0}' .total)
total=$(awk '{t+=$2} END {print t+0}' .total)
nfiles=$(wc -l <.total)
nfail=$(awk '$3==0' .total | wc -l)
echo "# draft4: $good of $total data judged like the suite"
echo "1..$nfiles"
[ "$nfail" -eq 0 ]
