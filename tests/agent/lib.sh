# Helpers for tests/agent/*.sh: source it.  Every helper prints what it
# checks, so the log tells which step failed.
set -eu

: "${AGENT:?run through tests/agent/run.sh}"
PY=/usr/bin/python3
T=$(mktemp -d /tmp/rvss-agent-test.XXXXXX)
chmod 755 "$T"
cleanup_hooks=""
cleanup() {
	for h in $cleanup_hooks; do
		"$h" || true
	done
	rm -rf "$T"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*" >&2
	echo "$*"
	exit 77
}

# expect_rc RC CMD...: run CMD, stdout to $T/out, stderr to $T/err.
expect_rc() {
	local want=$1 rc=0
	shift
	echo "+ $* (want exit $want)"
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	sed 's/^/  | /' "$T/out" | head -n 40
	sed 's/^/  ! /' "$T/err" | head -n 10
	if [ "$rc" != "$want" ]; then
		echo "--- stdout"; cat "$T/out"
		echo "--- stderr"; cat "$T/err"
		fail "exit $rc, wanted $want: $*"
	fi
}

# out_has TEXT / out_lacks TEXT: grep the last command's stdout.
out_has() {
	grep -qF -- "$1" "$T/out" || { cat "$T/out"; fail "stdout lacks '$1'"; }
}

out_lacks() {
	if grep -qF -- "$1" "$T/out"; then
		cat "$T/out"
		fail "stdout has '$1'"
	fi
}

# The last stdout is valid JSON (Debian's python, not pyenv's).
json_valid() {
	"$PY" -m json.tool "$T/out" >/dev/null || { cat "$T/out"; fail "invalid JSON"; }
}

# json_eval EXPR: EXPR (Python, over the parsed stdout as d) must be true.
json_eval() {
	"$PY" -c "import json,sys; d=json.load(open('$T/out')); sys.exit(0 if ($1) else 1)" ||
		{ cat "$T/out"; fail "JSON: not ($1)"; }
}

# fake_module FILE SAMBA-VERSION [INTERFACE]: a file carrying only rvss's
# build record (lib/modinfo.h), as doctor reads it from an rvss.so.
fake_module() {
	printf '\177ELF...rvss-build-info:samba=%s;vfs_interface=%s;package=test;rvss=test;\0...' \
		"$2" "${3:-0}" >"$1"
}

# The running smbd's Samba version, "4.22.11".
smbd_version() {
	smbd --version | sed -n 's/^Version \([0-9]*\.[0-9]*\.[0-9]*\).*/\1/p'
}
