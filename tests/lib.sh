# tests/lib.sh: sourced by every shell test.  TAP output, an isolated
# environment, and the shared data unpacked once per build tree.
#
#   . "$GATE_SRCDIR/tests/lib.sh"
#   ok "name" test -f x            # runs a command, passes on status 0
#   is "name" "$got" "$expected"   # compares strings, shows a diff on failure
#   done_testing

set -eu
: "${GATE_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${GATE_BUILDDIR:=$GATE_SRCDIR}"
: "${GATE_BIN:=$GATE_BUILDDIR/gitops-gate}"
export GATE_SRCDIR GATE_BUILDDIR GATE_BIN

T_N=0
T_FAILED=0
T_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gate-test.XXXXXX")
trap 'rm -rf "$T_DIR"' EXIT
export HOME="$T_DIR/home"
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1 LC_ALL=C TZ=UTC
export GIT_AUTHOR_NAME="A U Thor" GIT_AUTHOR_EMAIL="author@example.com"
export GIT_COMMITTER_NAME="C O Mitter" GIT_COMMITTER_EMAIL="committer@example.com"
export GIT_AUTHOR_DATE="1700000000 +0000" GIT_COMMITTER_DATE="1700000000 +0000"
unset GIT_DIR GIT_WORK_TREE GL_ID GL_USERNAME GITEA_PUSHER_NAME REMOTE_USER 2>/dev/null || true
git config --global init.defaultBranch main
git config --global protocol.file.allow always

ok() {
	_name=$1
	shift
	T_N=$((T_N + 1))
	if "$@" >"$T_DIR/.out" 2>&1; then
		echo "ok $T_N - $_name"
	else
		echo "not ok $T_N - $_name"
		sed 's/^/#   /' "$T_DIR/.out" | head -40
		T_FAILED=$((T_FAILED + 1))
	fi
}

# not_ok NAME CMD...: passes when CMD fails
not_ok() {
	_name=$1
	shift
	T_N=$((T_N + 1))
	if "$@" >"$T_DIR/.out" 2>&1; then
		echo "not ok $T_N - $_name (expected failure, got success)"
		sed 's/^/#   /' "$T_DIR/.out" | head -40
		T_FAILED=$((T_FAILED + 1))
	else
		echo "ok $T_N - $_name"
	fi
}

is() {
	T_N=$((T_N + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $T_N - $1"
	else
		echo "not ok $T_N - $1"
		printf '%s\n' "$3" >"$T_DIR/.want"
		printf '%s\n' "$2" >"$T_DIR/.got"
		diff -u "$T_DIR/.want" "$T_DIR/.got" | sed 's/^/#   /' | head -60
		T_FAILED=$((T_FAILED + 1))
	fi
}

# like NAME HAYSTACK NEEDLE: passes when HAYSTACK contains NEEDLE
like() {
	T_N=$((T_N + 1))
	case "$2" in
	*"$3"*) echo "ok $T_N - $1" ;;
	*)
		echo "not ok $T_N - $1"
		echo "#   wanted: $3"
		printf '%s\n' "$2" | sed 's/^/#   got: /' | head -40
		T_FAILED=$((T_FAILED + 1))
		;;
	esac
}

unlike() {
	T_N=$((T_N + 1))
	case "$2" in
	*"$3"*)
		echo "not ok $T_N - $1"
		echo "#   unwanted: $3"
		T_FAILED=$((T_FAILED + 1))
		;;
	*) echo "ok $T_N - $1" ;;
	esac
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

bail() {
	echo "Bail out! $*"
	exit 1
}

done_testing() {
	echo "1..$T_N"
	[ "$T_FAILED" -eq 0 ]
}

# gate_data: print the folder holding the unpacked shared data, unpacking it
# once per build tree.  The data is $GATE_SHARED_DIR/data: configure records
# the absolute path of ../shared beside the source tree (so make distcheck's
# copy of the sources finds it too); without it, ../shared of GATE_SRCDIR.
gate_data() {
	_shared="${GATE_SHARED_DIR:-$GATE_SRCDIR/../shared}/data"
	[ -d "$_shared" ] || bail "shared data missing: expected $_shared (the read-only ../shared beside the repository)"
	_dst="$GATE_BUILDDIR/tests/data"
	mkdir -p "$_dst"
	(
		flock 9
		for _t in kubernetes-schemas-v1.32.2 crd-schemas manifests-corpus manifests-corpus-2 flux-schema-catalog; do
			[ -f "$_dst/.$_t.done" ] && continue
			mkdir -p "$_dst/$_t"
			tar xJf "$_shared/$_t.tar.xz" -C "$_dst/$_t" || exit 1
			touch "$_dst/.$_t.done"
		done
	) 9>"$_dst/.lock" || bail "could not unpack $_shared"
	echo "$_dst"
}

# The two schema locations of the Kubernetes and CRD sets, as kubeconform templates.
gate_k8s_location() {
	echo "$1/kubernetes-schemas-v1.32.2/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
}
gate_crd_location() {
	echo "$1/crd-schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
}

# The differential tests' inputs beside the corpora: the kustomize goldens
# and a 2-copy fleet unpacked in $T_DIR/goldens and $T_DIR/fleet; sets
# gate_own to the repository's own test folders (comma-separated, without
# tests/data, the unpacked shared data).
gate_diff_inputs() {
	_shared="${GATE_SHARED_DIR:-$GATE_SRCDIR/../shared}"
	mkdir -p "$T_DIR/goldens"
	tar xJf "$_shared/data/kustomize-goldens.tar.xz" -C "$T_DIR/goldens" || bail "could not unpack the kustomize goldens"
	sh "$_shared/scripts/make-fleet" 2 "$T_DIR/fleet" >/dev/null || bail "make-fleet failed"
	gate_own=
	for _d in "$GATE_SRCDIR"/tests/*/; do
		case $_d in */tests/data/) continue ;; esac
		gate_own="$gate_own${gate_own:+,}${_d%/}"
	done
}

# Fold the TAP lines a test program wrote to file $1 into ours.
gate_fold_tap() {
	while IFS= read -r _l; do
		case $_l in
		"ok "*) ok "${_l#ok [0-9]* - }" true ;;
		"not ok "*) ok "${_l#not ok [0-9]* - }" false ;;
		"#"*) echo "$_l" ;;
		esac
	done <"$1"
}
