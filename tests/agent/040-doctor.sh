#!/bin/bash
# fsrvp_agent doctor on bad configurations (no btrfs needed; the good
# configuration, which needs btrfs, is in 030-btrfs.sh).
. "$(dirname "$0")/lib.sh"
command -v testparm >/dev/null || skip "testparm not installed (samba-common-bin)"

mkdir -p "$T/lock" "$T/state" "$T/cache" "$T/private" "$T/pid" "$T/plain"
# rvss.so as installed for this smbd: RVSS-D012 is 045's subject
fake_module "$T/rvss.so" "$(smbd_version)" 0
dirs="	lock directory = $T/lock
	state directory = $T/state
	cache directory = $T/cache
	private dir = $T/private
	pid directory = $T/pid"

echo "== nothing set up: every global problem, and no rvss share"
cat > "$T/bare.conf" <<CONF
[global]
$dirs
	fss: prune stale = yes
[plain]
	path = $T/plain
CONF
expect_rc 1 "$AGENT" doctor -s "$T/bare.conf" --module "$T/rvss.so"
out_has "RVSS-D001"
out_has "registry shares = yes"
out_has "RVSS-D002"
out_has "rpcd_fsrvp:num_workers = 1"
out_has "RVSS-D004"
out_has "RVSS-D005"
out_lacks "RVSS-D003"
expect_rc 1 "$AGENT" doctor --json -s "$T/bare.conf" --module "$T/rvss.so"
json_valid
json_eval 'd["ok"] is False and d["problems"] == 4'
json_eval 'sorted(c["code"] for c in d["checks"] if c["severity"] == "problem") == ["RVSS-D001","RVSS-D002","RVSS-D004","RVSS-D005"]'

echo "== an AD DC"
cat > "$T/dc.conf" <<CONF
[global]
$dirs
	server role = active directory domain controller
	registry shares = yes
	rpcd_fsrvp:num_workers = 1
CONF
expect_rc 1 "$AGENT" doctor -s "$T/dc.conf" --module "$T/rvss.so"
out_has "RVSS-D003"

echo "== rvss share not on btrfs, shadow_copy2 before rvss"
cat > "$T/ext.conf" <<CONF
[global]
$dirs
	registry shares = yes
	rpcd_fsrvp:num_workers = 1
[vms]
	path = $T/plain
	vfs objects = shadow_copy2 rvss
	shadow:snapdir = .rvss-snapshots
[nopath]
	path = /srv/%U
	vfs objects = rvss
CONF
expect_rc 1 "$AGENT" doctor -s "$T/ext.conf" --module "$T/rvss.so"
out_has "RVSS-D006 [vms]"
out_has "is not on btrfs"
out_has "RVSS-D008 [vms]"
out_has "RVSS-D006 [nopath]"
out_lacks "RVSS-D001"
out_lacks "RVSS-D002"
out_lacks "RVSS-D005"
expect_rc 1 "$AGENT" doctor --json -s "$T/ext.conf" --module "$T/rvss.so"
json_valid

echo "== usage and unreadable configuration: exit 2"
expect_rc 2 "$AGENT" doctor -s "$T/missing.conf"
printf '[global]\nfoo bar baz\n[x\n' > "$T/broken.conf"
expect_rc 2 "$AGENT" doctor -s "$T/broken.conf"
expect_rc 2 "$AGENT" doctor extra-arg
expect_rc 2 "$AGENT" doctor --bogus
expect_rc 0 "$AGENT" doctor --help
echo OK
