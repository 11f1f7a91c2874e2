#!/bin/bash
# fsrvp_agent send without a server: usage and exit codes, a target that is
# not btrfs refused, nothing to send from an empty catalog (human and
# --json).  The sends themselves: integration scenario 185.
. "$(dirname "$0")/lib.sh"

echo "== usage: exactly one of --to and --to-command"
expect_rc 2 "$AGENT" send
expect_rc 2 "$AGENT" send --to "$T" --to-command cat
expect_rc 2 "$AGENT" send --to-command ''
expect_rc 0 "$AGENT" send --help
out_has "--to-command CMD"

echo "== receive: usage; a missing directory"
expect_rc 2 "$AGENT" receive
expect_rc 0 "$AGENT" receive --help
out_has "fsrvp_agent receive DIR"
expect_rc 2 "$AGENT" receive "$T/missing" </dev/null

echo "== a missing target"
expect_rc 2 "$AGENT" send --catalog "$T/rvss.tdb" --to "$T/missing"
grep -q "No such file" "$T/err" || fail "no reason given for a missing target"

if [ "$(stat -f -c %T "$T")" != btrfs ]; then
	echo "== a target that is not on btrfs is refused"
	mkdir -m 755 "$T/replicas"
	if [ "$(id -u)" = 0 ]; then
		expect_rc 2 "$AGENT" send --catalog "$T/rvss.tdb" --to "$T/replicas"
		grep -q "not on a btrfs filesystem: refused" "$T/err" ||
			fail "no 'not on btrfs' reason"
	fi
fi

echo "== an empty catalog: nothing to send"
expect_rc 0 "$AGENT" send --catalog "$T/rvss.tdb" --to-command 'cat >/dev/null'
out_has "nothing to send"
expect_rc 0 "$AGENT" send --catalog "$T/rvss.tdb" --to-command 'cat >/dev/null' --json
json_valid
json_eval 'd["sent"] == 0 and d["failed"] == 0 and d["backups"] == [] and d["target"] == "cmd:cat >/dev/null"'
[ ! -s "$T/err" ] || fail "--json wrote to stderr"
echo OK
