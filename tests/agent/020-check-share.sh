#!/bin/bash
# fsrvp_agent check --share NAME -s CONF: the share's path comes from
# Samba's testparm reading a real private smb.conf.
. "$(dirname "$0")/lib.sh"
command -v testparm >/dev/null || skip "testparm not installed (samba-common-bin)"

mkdir -p "$T/vms/vm1" "$T/other"
touch "$T/vms/vm1/disk.vhdx.bin" "$T/other/notes.txt"
cat > "$T/smb.conf" <<CONF
[global]
	registry shares = yes
	lock directory = $T/lock
	state directory = $T/state
	cache directory = $T/cache
	private dir = $T/private
	pid directory = $T/pid
[vms]
	path = $T/vms
[Other Share]
	path = $T/other
[subst]
	path = /srv/%U
CONF

echo "== share resolved through testparm"
expect_rc 0 "$AGENT" check --share vms -s "$T/smb.conf"
out_has "$T/vms"
expect_rc 1 "$AGENT" check --json -S "Other Share" -s "$T/smb.conf"
json_valid
json_eval 'd["share"] == "Other Share" and d["findings"][0]["path"] == "notes.txt"'

echo "== errors: unknown share, substitutions, unreadable config"
expect_rc 2 "$AGENT" check --share nosuch -s "$T/smb.conf"
grep -q "not defined" "$T/err" || fail "no reason for unknown share"
expect_rc 2 "$AGENT" check --share subst -s "$T/smb.conf"
expect_rc 2 "$AGENT" check --share vms -s "$T/missing.conf"
expect_rc 2 "$AGENT" check --share vms "$T/vms" -s "$T/smb.conf"

echo OK
