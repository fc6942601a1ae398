#!/usr/bin/python3
"""kubeconform_ref: an independent reference for kubeconform 0.6.x verdicts.

Written from kubeconform's behaviour (yannh/kubeconform 0.6.x: pkg/resource
files.go/stream.go/resource.go, pkg/validator/validator.go, pkg/registry),
not from gitops-gate's code, to derive tests/cli/expected/corpus-verdicts.txt.

Needs Debian's python3 with python3-yaml and python3-jsonschema (Debian 12:
PyYAML 6, jsonschema 4.10).  Standard library otherwise.

  kubeconform_ref.py [-strict] [-ignore-missing-schemas] [-skip K,..] [-reject K,..]
      -kubernetes-version 1.32.2 -schema-location TEMPLATE... FILE|DIR...

prints one line per resource, tab-separated: filename, kind, name, status
(statusValid, statusInvalid, statusError, statusSkipped, statusEmpty), and
a fifth column with the reason for errors and invalid resources.

What is mirrored, and how:
- files: directories walked like Go's filepath.Walk (lexical order, symlinked
  folders not followed), *.yaml, *.yml, *.json (any case);
- documents: split like SplitYAMLDocument (at every "\\n---", the rest of that
  line dropped; a final "\\n---xxx" without newline loses the last part, as
  bufio.Scanner does); every part with bytes is a resource (a part of zero
  bytes is dropped), one without a document is statusEmpty; a file without
  resources gives one statusEmpty;
- names: every result, errors included, is named from Resource.Signature()
  (a lenient parse: kind, metadata.name, a non-empty generateName);
- kind: List (any case, with apiVersion) is replaced by its items, a List
  whose items are not a sequence by nothing;
- YAML: go-yaml v2 scalar resolution rebuilt over PyYAML's parser (PyYAML is
  YAML 1.1 too, but differs): y/n/yes/no/on/off booleans, Go's ParseInt base 0
  (0x, 0o, 0b, 0 octal), floats by go-yaml's yamlStyleFloat (1e3 is a float,
  8080:80 is a string: no sexagesimal), timestamps stay strings, keys become
  strings as sigs.k8s.io/yaml does (true, 1, ...), merge keys (<<) applied in
  order like go-yaml v2; with -strict a key already set in the mapping
  (explicit or merged) is an error (yaml.UnmarshalStrict);
- numbers: float64 after the JSON round trip, so 1.0 is an integer;
- schemas: templates expanded like pkg/registry (NormalizedKubernetesVersion,
  StrictSuffix, ResourceKind, ResourceAPIVersion, Group, KindSuffix); a
  missing file or a schema that does not compile (checked against its
  metaschema, as santhosh-tekuri/jsonschema does) tries the next location;
- drafts: draft-04 unless "$schema" names another; "http://json-schema.org/
  schema#" is the latest draft (2020-12) for santhosh-tekuri/jsonschema v5;
  formats asserted for drafts 4 to 7 (date-time, date, time, duration as
  santhosh-tekuri v5 checks them), never for 2019-09/2020-12.
"""
import ipaddress
import json
import math
import os
import re
import sys
import uuid

import jsonschema
import yaml


# ---- documents ---------------------------------------------------------------

def split_documents(data):
    """bufio.Scanner + kubeconform's SplitYAMLDocument at EOF."""
    sep = b"\n---"
    parts = []
    while data:
        i = data.find(sep)
        if i >= 0:
            after = data[i + len(sep):]
            if not after:
                parts.append(data[:i])
                break
            j = after.find(b"\n")
            if j >= 0:
                parts.append(data[:i])
                data = after[j + 1:]
                continue
            break  # "\n---xxx" at EOF without newline: the scanner stops
        parts.append(data)
        break
    return parts


# ---- go-yaml v2 over PyYAML ------------------------------------------------------

GOPLAIN = "tag:gitops-gate,ref:goplain"
MERGE = "tag:yaml.org,2002:merge"


class GoLoader(yaml.SafeLoader):
    """PyYAML's parser; every plain scalar resolved later like go-yaml v2.

    PyYAML treats a tab as whitespace in fewer places than libyaml (which
    go-yaml v2 ports): libyaml skips tabs between tokens in flow context or
    where no simple key may start (after "key: value"), and inside plain
    scalars.  The two scanner methods below restore libyaml's rule.
    """

    def scan_to_next_token(self):
        if self.index == 0 and self.peek() == "\uFEFF":
            self.forward()
        while True:
            while self.peek() == " " or (self.peek() == "\t" and (self.flow_level or not self.allow_simple_key)):
                self.forward()
            if self.peek() == "#":
                while self.peek() not in "\0\r\n\x85\u2028\u2029":
                    self.forward()
            if self.scan_line_break():
                if not self.flow_level:
                    self.allow_simple_key = True
            else:
                return

    def scan_plain_spaces(self, indent, start_mark):
        n = 0
        while self.peek(n) in " \t":
            n += 1
        blanks = self.prefix(n)
        self.forward(n)
        if self.peek() not in "\r\n\x85\u2028\u2029":
            return [blanks] if blanks else []
        # a line break: let PyYAML fold it (its own code handles spaces only)
        self.index -= n
        self.pointer -= n
        self.column -= n
        return super().scan_plain_spaces(indent, start_mark)

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode and implicit[0]:
            if value == "<<":
                return MERGE
            return GOPLAIN
        return super().resolve(kind, value, implicit)


class YAMLError(Exception):
    pass


GO_BOOL = {
    "y": True, "Y": True, "yes": True, "Yes": True, "YES": True,
    "on": True, "On": True, "ON": True, "true": True, "True": True, "TRUE": True,
    "n": False, "N": False, "no": False, "No": False, "NO": False,
    "off": False, "Off": False, "OFF": False, "false": False, "False": False, "FALSE": False,
}
GO_NULL = {"", "~", "null", "Null", "NULL"}
GO_FLOAT_SPECIAL = {
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
    ".inf": math.inf, ".Inf": math.inf, ".INF": math.inf,
    "+.inf": math.inf, "+.Inf": math.inf, "+.INF": math.inf,
    "-.inf": -math.inf, "-.Inf": -math.inf, "-.INF": -math.inf,
}
YAML_STYLE_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
GO_INT = re.compile(r"^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$")


def go_parse_int(s):
    """strconv.ParseInt(s, 0, 64), then ParseUint for large positives; None on failure."""
    m = GO_INT.match(s)
    if not m:
        return None
    sign, digits = m.group(1), m.group(2)
    low = digits.lower()
    if low.startswith("0x"):
        v = int(digits[2:], 16)
    elif low.startswith("0o"):
        v = int(digits[2:], 8)
    elif low.startswith("0b"):
        v = int(digits[2:], 2)
    elif len(digits) > 1 and digits[0] == "0":
        v = int(digits[1:], 8)
    else:
        v = int(digits, 10)
    if sign == "-":
        v = -v
    if -(1 << 63) <= v < (1 << 63):
        return v
    if sign != "-" and v < (1 << 64):
        return v
    return None


def go_resolve(s):
    """go-yaml v2 resolve() for an untagged plain scalar."""
    if s in GO_NULL:
        return None
    if s in GO_BOOL:
        return GO_BOOL[s]
    if s in GO_FLOAT_SPECIAL:
        return GO_FLOAT_SPECIAL[s]
    hint = s[0]
    if hint == ".":
        try:
            return float(s) if YAML_STYLE_FLOAT.match(s) else s
        except ValueError:
            return s
    if hint in "+-0123456789":
        # timestamps are kept as strings when decoding into interface{}
        plain = s.replace("_", "")
        v = go_parse_int(plain)
        if v is not None:
            return v
        if YAML_STYLE_FLOAT.match(plain):
            return float(plain)
    return s


def key_string(k):
    """sigs.k8s.io/yaml: map keys to JSON object keys."""
    if isinstance(k, bool):
        return "true" if k else "false"
    if isinstance(k, str):
        return k
    if isinstance(k, int):
        if not -(1 << 63) <= k < (1 << 63):
            raise YAMLError("Unsupported map key of type: uint64")
        return str(k)
    if isinstance(k, float):
        if math.isinf(k):
            return ".inf" if k > 0 else "-.inf"
        if math.isnan(k):
            return ".nan"
        return ("%.7g" % k).replace("e+0", "e+").replace("e-0", "e-")
    raise YAMLError("Unsupported map key of type: %s" % type(k).__name__)


def typed(k):
    """A dict key that keeps Go's types apart (1, 1.0, True, "1" differ)."""
    return (type(k).__name__, k)


class Converter:
    def __init__(self, strict):
        self.strict = strict
        self.depth = 0

    def scalar(self, node):
        tag = node.tag
        if tag == GOPLAIN:
            return go_resolve(node.value)
        if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                   "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"):
            return go_resolve(node.value) if node.value else None
        return node.value  # quoted, !!str, unknown tags: the text

    def mapping_into(self, node, out, seen):
        """go-yaml v2 decoder.mapping into out (dict typed-key -> (key, value))."""
        for knode, vnode in node.value:
            if knode.tag == MERGE:
                self.merge(vnode, out, seen)
                continue
            if isinstance(knode, (yaml.MappingNode, yaml.SequenceNode)):
                raise YAMLError("invalid map key")
            k = self.conv(knode)
            v = self.conv(vnode)
            tk = typed(k)
            if self.strict and tk in out:
                raise YAMLError("line %d: key %r already set in map" % (vnode.start_mark.line + 1, k))
            out[tk] = (k, v)

    def merge(self, vnode, out, seen):
        if isinstance(vnode, yaml.MappingNode):
            self.mapping_into(vnode, out, seen)
        elif isinstance(vnode, yaml.SequenceNode):
            for item in reversed(vnode.value):
                if not isinstance(item, yaml.MappingNode):
                    raise YAMLError("map merge requires map or sequence of maps as the value")
                self.mapping_into(item, out, seen)
        else:
            raise YAMLError("map merge requires map or sequence of maps as the value")

    def conv(self, node):
        self.depth += 1
        if self.depth > 10000:
            raise YAMLError("too deep")
        try:
            if isinstance(node, yaml.ScalarNode):
                return self.scalar(node)
            if isinstance(node, yaml.SequenceNode):
                return [self.conv(n) for n in node.value]
            out = {}
            self.mapping_into(node, out, set())
            return {key_string(k): v for k, v in out.values()}
        finally:
            self.depth -= 1


def jsonable(v):
    """The JSON round trip: NaN/Inf refused, integral floats are integers."""
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            raise YAMLError("json: unsupported value: %r" % v)
        return int(v) if v.is_integer() else v
    if isinstance(v, list):
        return [jsonable(x) for x in v]
    return {k: jsonable(x) for k, x in v.items()}


def unmarshal(data, strict):
    """sigs.k8s.io/yaml (Unmarshal or UnmarshalStrict) of the first document."""
    text = data.decode("utf-8")  # go-yaml refuses invalid UTF-8 too
    loader = GoLoader(text)
    try:
        node = loader.get_node() if loader.check_node() else None
    finally:
        loader.dispose()
    if node is None:
        return None
    return jsonable(Converter(strict).conv(node))


# ---- resources -----------------------------------------------------------------

def signature_lenient(data):
    """Resource.Signature(): yaml.Unmarshal into {apiVersion, kind string}."""
    try:
        obj = unmarshal(data, False)
    except Exception:
        return None
    if not isinstance(obj, dict):
        return None
    kind, av = obj.get("kind"), obj.get("apiVersion")
    if (kind is not None and not isinstance(kind, str)) or (av is not None and not isinstance(av, str)):
        return None
    if not kind or not av:
        return None
    return obj


def expand(data):
    """Resource.Resources(): a kind List becomes its items."""
    obj = signature_lenient(data)
    if obj is None or obj["kind"].lower() != "list":
        return [data]
    items = obj.get("items")
    if not isinstance(items, list):
        return []
    # go: yaml.Marshal(item); JSON is YAML and quotes every string, as go-yaml does where needed
    return [json.dumps(item).encode() for item in items]


# ---- schemas -------------------------------------------------------------------

def expand_location(tpl, kind, api_version, k8s_version, strict):
    norm = k8s_version if k8s_version == "master" else "v" + k8s_version
    group_parts = api_version.split("/")
    version_parts = group_parts[0].split(".")
    kind_suffix = "-" + version_parts[0].lower()
    if len(group_parts) > 1:
        kind_suffix += "-" + group_parts[1].lower()
    values = {
        "NormalizedKubernetesVersion": norm,
        "StrictSuffix": "-strict" if strict else "",
        "ResourceKind": kind.lower(),
        "ResourceAPIVersion": group_parts[-1],
        "Group": group_parts[0],
        "KindSuffix": kind_suffix,
    }
    return re.sub(r"\{\{\s*\.(\w+)\s*\}\}", lambda m: values[m.group(1)], tpl)


def _date(s):
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s)
    if not m:
        return False
    y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not 1 <= mo <= 12:
        return False
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]
    return 1 <= d <= days


def _atoi_range(s, lo, hi):
    if not re.fullmatch(r"[+-]?\d+", s):
        return None
    n = int(s)
    return n if lo <= n <= hi else None


def _time(s):
    if len(s) < 9 or s[2] != ":" or s[5] != ":":
        return False
    h, m, sec = _atoi_range(s[0:2], 0, 23), _atoi_range(s[3:5], 0, 59), _atoi_range(s[6:8], 0, 60)
    if h is None or m is None or sec is None:
        return False
    s = s[8:]
    if s[:1] == ".":
        s = s[1:]
        digits = len(s) - len(s.lstrip("0123456789"))
        if not digits:
            return False
        s = s[digits:]
    if not s:
        return False
    if s[0] in "zZ":
        if len(s) != 1:
            return False
    else:
        if len(s) != 6 or s[3] != ":" or s[0] not in "+-":
            return False
        sign = -1 if s[0] == "+" else 1
        zh, zm = _atoi_range(s[1:3], 0, 23), _atoi_range(s[4:6], 0, 59)
        if zh is None or zm is None:
            return False
        hm = (h * 60 + m) + sign * (zh * 60 + zm)
        if hm < 0:
            hm += 24 * 60
        h, m = hm // 60, hm % 60
    return sec != 60 or (h == 23 and m == 59)


def _date_time(s):
    if len(s) < 20 or s[10] not in "Tt":
        return False
    return _date(s[:10]) and _time(s[11:])


def _duration(s):
    if not s or s[0] != "P":
        return False
    rest = [s[1:]]

    def units():
        u = ""
        while rest[0] and rest[0][0] != "T":
            n = len(rest[0]) - len(rest[0].lstrip("0123456789"))
            if not n or n == len(rest[0]):
                return u, False
            u += rest[0][n]
            rest[0] = rest[0][n + 1:]
        return u, True

    u, ok = units()
    if not ok:
        return False
    if u == "W":
        return not rest[0]
    if u:
        if u not in "YMD":
            return False
        if not rest[0]:
            return True
    if not rest[0] or rest[0][0] != "T":
        return False
    rest[0] = rest[0][1:]
    u, ok = units()
    return ok and not rest[0] and u != "" and u in "HMS"


def _ipv4(s):
    try:
        ipaddress.IPv4Address(s)
        return True
    except ValueError:
        return False


def _ipv6(s):
    try:
        ipaddress.IPv6Address(s)
        return True
    except ValueError:
        return False


def _regex(s):
    try:
        re.compile(s)
        return True
    except re.error:
        return False


def _uuid(s):
    return re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", s) is not None


FORMATS = {"date-time": _date_time, "date": _date, "time": _time, "duration": _duration,
           "ipv4": _ipv4, "ip-address": _ipv4, "ipv6": _ipv6, "regex": _regex, "uuid": _uuid}
# santhosh-tekuri v5 asserts these too; the schema sets here do not use them:
# refuse to guess rather than pass silently.
UNIMPLEMENTED = {"hostname", "email", "uri", "iri", "uri-reference", "uriref", "iri-reference",
                 "uri-template", "json-pointer", "relative-json-pointer", "period"}

FORMAT_CHECKER = jsonschema.FormatChecker(formats=())
for _name, _fn in FORMATS.items():
    FORMAT_CHECKER.checks(_name)(lambda v, _fn=_fn: not isinstance(v, str) or _fn(v))


def formats_used(schema, acc):
    if isinstance(schema, dict):
        f = schema.get("format")
        if isinstance(f, str):
            acc.add(f)
        for v in schema.values():
            formats_used(v, acc)
    elif isinstance(schema, list):
        for v in schema:
            formats_used(v, acc)
    return acc


def validator_for(schema, path):
    meta = schema.get("$schema") if isinstance(schema, dict) else None
    url = meta if isinstance(meta, str) else ""
    url = re.sub(r"^http://", "https://", url).rstrip("#").rstrip("/").rstrip("#")
    table = {
        "": (jsonschema.Draft4Validator, True),
        "https://json-schema.org/draft-04/schema": (jsonschema.Draft4Validator, True),
        "https://json-schema.org/draft-06/schema": (jsonschema.Draft6Validator, True),
        "https://json-schema.org/draft-07/schema": (jsonschema.Draft7Validator, True),
        "https://json-schema.org/draft/2019-09/schema": (jsonschema.Draft201909Validator, False),
        "https://json-schema.org/draft/2020-12/schema": (jsonschema.Draft202012Validator, False),
        "https://json-schema.org/schema": (jsonschema.Draft202012Validator, False),
    }
    cls, assert_formats = table.get(url, (jsonschema.Draft4Validator, True))
    cls.check_schema(schema)  # santhosh-tekuri validates a schema against its metaschema
    if assert_formats:
        bad = formats_used(schema, set()) & UNIMPLEMENTED
        if bad:
            sys.exit("kubeconform_ref: %s asserts format(s) %s, not implemented here" % (path, sorted(bad)))
    return cls(schema, format_checker=FORMAT_CHECKER if assert_formats else None)


class Store:
    def __init__(self, locations, k8s_version, strict):
        self.locations, self.k8s_version, self.strict = locations, k8s_version, strict
        self.cache = {}

    def lookup(self, kind, api_version):
        key = (kind, api_version)
        if key not in self.cache:
            self.cache[key] = self._load(kind, api_version)
        return self.cache[key]

    def _load(self, kind, api_version):
        for tpl in self.locations:
            path = expand_location(tpl, kind, api_version, self.k8s_version, self.strict)
            try:
                with open(path, "rb") as f:
                    schema = json.loads(f.read())
            except (OSError, ValueError):
                continue  # not found, or not JSON: next location
            try:
                return validator_for(schema, path)
            except jsonschema.exceptions.SchemaError:
                continue
        return None


# ---- verdicts ------------------------------------------------------------------

def gvk(api_version, kind):
    return "%s/%s" % (api_version, kind)


def signature_fields(data):
    """Resource.Signature() as the output reads it: (kind, name).

    kubeconform's outputs name every result, errors included, from
    Resource.Signature(): a non-strict yaml.Unmarshal into a struct of
    strings, so a field of another type stays empty and the others are still
    read, and a non-empty generateName wins over name.  Signature() runs
    first (Resources() calls it) and is cached, so ValidateResource's
    SignatureFromMap returns the same answer.  (Go's case-insensitive
    matching of JSON keys to struct fields is not mirrored.)
    """
    try:
        obj = unmarshal(data, False)
    except Exception:
        return "", ""
    if not isinstance(obj, dict):
        return "", ""
    kind = obj.get("kind") if isinstance(obj.get("kind"), str) else ""
    name = ""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        if isinstance(meta.get("name"), str):
            name = meta["name"]
        if isinstance(meta.get("generateName"), str) and meta["generateName"]:
            name = meta["generateName"] + "{{ generateName }}"
    return kind, name


def judge(data, opts, store):
    """ValidateResource: (kind, name, status, reason)."""
    if not data:
        return "", "", "statusEmpty", ""
    try:
        obj = unmarshal(data, opts["strict"])
    except (yaml.YAMLError, YAMLError, UnicodeDecodeError, RecursionError) as e:
        kind, name = signature_fields(data)
        return kind, name, "statusError", "error unmarshalling resource: %s" % str(e).replace("\n", " ")
    if obj is None:
        return "", "", "statusEmpty", ""
    kind, name = signature_fields(data)
    if not isinstance(obj, dict):
        return kind, name, "statusError", "error unmarshalling resource: not a mapping"
    if not isinstance(obj.get("kind"), str):
        return kind, name, "statusError", "error while parsing: missing 'kind' key"
    av = obj.get("apiVersion")
    if not isinstance(av, str):
        return kind, name, "statusError", "error while parsing: missing 'apiVersion' key"
    if gvk(av, kind) in opts["skip"] or kind in opts["skip"]:
        return kind, name, "statusSkipped", ""
    if gvk(av, kind) in opts["reject"] or kind in opts["reject"]:
        return kind, name, "statusError", "prohibited resource kind %s" % kind
    validator = store.lookup(kind, av)
    if validator is None:
        if opts["ignore_missing"]:
            return kind, name, "statusSkipped", ""
        return kind, name, "statusError", "could not find schema for %s" % kind
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    if errors:
        e = errors[0]
        where = "/" + "/".join(str(p) for p in e.absolute_path)
        return kind, name, "statusInvalid", "%s: %s (%d error(s))" % (where, e.message[:200], len(errors))
    return kind, name, "statusValid", ""


def has_ext(name):
    low = name.lower()
    return low.endswith(".yaml") or low.endswith(".yml") or low.endswith(".json")


def go_join(d, name):
    d = d.rstrip("/") or "/"
    if d == ".":
        return name
    while d.startswith("./"):
        d = d[2:].lstrip("/")
    if not d:
        return name
    return d + name if d.endswith("/") else d + "/" + name


def walk(path, root=True):
    st = os.stat(path) if root else os.lstat(path)
    import stat as st_mod
    if not st_mod.S_ISDIR(st.st_mode):
        if has_ext(path):
            yield path
        return
    for name in sorted(os.listdir(path), key=lambda s: s.encode("utf-8", "surrogateescape")):
        yield from walk(go_join(path, name), False)


def main(argv):
    opts = {"strict": False, "ignore_missing": False, "skip": set(), "reject": set()}
    locations, files, k8s_version = [], [], "master"
    i = 1
    while i < len(argv):
        a = argv[i].lstrip("-") if argv[i].startswith("-") else None
        if a is None:
            files.append(argv[i])
        elif a == "strict":
            opts["strict"] = True
        elif a == "ignore-missing-schemas":
            opts["ignore_missing"] = True
        elif a in ("skip", "reject", "schema-location", "kubernetes-version"):
            i += 1
            v = argv[i]
            if a == "schema-location":
                locations.append(v)
            elif a == "kubernetes-version":
                k8s_version = v
            else:
                opts[a] |= {x for x in v.split(",") if x}
        else:
            sys.exit("kubeconform_ref: unknown flag %s" % argv[i])
        i += 1
    store = Store(locations, k8s_version, opts["strict"])
    out = sys.stdout
    for arg in files:
        for path in walk(arg):
            with open(path, "rb") as f:
                parts = split_documents(f.read())
            n = 0
            for part in parts:
                if not part:
                    continue  # findResourcesInReader: only parts with bytes are resources
                for res in expand(part):
                    kind, name, status, reason = judge(res, opts, store)
                    out.write("%s\t%s\t%s\t%s\t%s\n" % (path, kind, name, status, reason))
                    n += 1
            if not n:
                out.write("%s\t\t\tstatusEmpty\t\n" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
