#!/bin/bash
# fsrvp_agent doctor on bad configurations (no btrfs needed; the good
# configuration, which needs btrfs, is in 030-btrfs.sh), then where
# shadow_copy2 looks for snapshots (RVSS-D009), on a loop-mounted btrfs
# in a private mount namespace (root only).
if [ -z "${RVSS_AGENT_NS:-}" ] && [ "$(id -u)" = 0 ] &&
	command -v unshare >/dev/null; then
	exec unshare -m --propagation private env RVSS_AGENT_NS=1 bash "$0" "$@"
fi
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

# RVSS-D009: shadow_copy2 (vfs_shadow_copy2.c, shadow_copy2_connect())
# takes a relative shadow:snapdir below its "mount point", the topmost
# ancestor of the share with the share's st_dev, i.e. the subvolume root
# on btrfs, and not below the share path.
[ -n "${RVSS_AGENT_NS:-}" ] || skip "not root: the shadow:snapdir checks need a loop-mounted btrfs"
for c in mkfs.btrfs btrfs losetup; do
	command -v $c >/dev/null || skip "$c missing (btrfs-progs, util-linux)"
done
loopdev=""
mnt=$T/mnt
detach() {
	umount -R "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || true
	if [ -n "$loopdev" ]; then
		losetup -d "$loopdev" || true
	fi
}
cleanup_hooks="detach"
truncate -s 300M "$T/btrfs.img"
mkfs.btrfs -q "$T/btrfs.img" || skip "mkfs.btrfs failed"
loopdev=$(losetup --show -f "$T/btrfs.img") || skip "no loop device"
mkdir -p "$mnt"
mount "$loopdev" "$mnt" || skip "cannot mount btrfs (kernel module?)"
btrfs -q subvolume create "$mnt/vms"
share=$mnt/vms/hyperv
mkdir -p "$share/vm1"
store=$mnt/vms/.rvss-snapshots

# sc2conf NAME LINES...: a good global section and share [hv] at $share
# (a directory of subvolume vms, store at its default place) with LINES.
sc2conf() {
	local name=$1
	shift
	{
		printf '[global]\n%s\n\tregistry shares = yes\n' "$dirs"
		printf '\trpcd_fsrvp:num_workers = 1\n[hv]\n\tpath = %s\n' "$share"
		printf '\tvfs objects = rvss shadow_copy2\n'
		for l in "$@"; do
			printf '\t%s\n' "$l"
		done
	} > "$T/$name.conf"
}

echo "== share below its subvolume root, relative snapdir: correct, no D009"
sc2conf rel "shadow:snapdir = .rvss-snapshots"
expect_rc 0 "$AGENT" doctor -s "$T/rel.conf" --module "$T/rvss.so"
out_lacks "RVSS-D009"
out_has "shadow:snapdir = .rvss-snapshots is the snapshot store"
expect_rc 0 "$AGENT" doctor --json -s "$T/rel.conf" --module "$T/rvss.so"
json_eval 'd["ok"] is True and "RVSS-D009" not in [c["code"] for c in d["checks"]]'
echo "== the same, store already made, and a trailing slash"
mkdir "$store"
sc2conf rel2 "shadow:snapdir = .rvss-snapshots/"
expect_rc 0 "$AGENT" doctor -s "$T/rel2.conf" --module "$T/rvss.so"
out_lacks "RVSS-D009"

echo "== absolute snapdir naming the store: no D009"
sc2conf abs "shadow:snapdir = $store"
expect_rc 0 "$AGENT" doctor -s "$T/abs.conf" --module "$T/rvss.so"
out_lacks "RVSS-D009"

echo "== absolute snapdir below the share path: D009"
sc2conf wrongabs "shadow:snapdir = $share/.rvss-snapshots"
expect_rc 1 "$AGENT" doctor -s "$T/wrongabs.conf" --module "$T/rvss.so"
out_has "RVSS-D009 [hv]"
out_has "the rvss snapshot store is $store"

echo "== relative snapdir of another name; unset (shadow_copy2's .snapshots): D009"
sc2conf other "shadow:snapdir = snaps"
expect_rc 1 "$AGENT" doctor -s "$T/other.conf" --module "$T/rvss.so"
out_has "RVSS-D009 [hv] shadow:snapdir = snaps resolves to $mnt/vms/snaps"
sc2conf unset
expect_rc 1 "$AGENT" doctor -s "$T/unset.conf" --module "$T/rvss.so"
out_has "RVSS-D009 [hv] shadow:snapdir = .snapshots"

echo "== shadow:mountpoint moves the base of a relative snapdir: D009"
sc2conf mp "shadow:snapdir = .rvss-snapshots" "shadow:mountpoint = $mnt"
expect_rc 1 "$AGENT" doctor -s "$T/mp.conf" --module "$T/rvss.so"
out_has "RVSS-D009 [hv] shadow:snapdir = .rvss-snapshots resolves to $mnt/.rvss-snapshots"
echo "== ... and with the right snapdir, the share's place in the snapshot: D009"
sc2conf mpabs "shadow:snapdir = $store" "shadow:mountpoint = $mnt"
expect_rc 1 "$AGENT" doctor -s "$T/mpabs.conf" --module "$T/rvss.so"
out_has "RVSS-D009 [hv] shadow_copy2 expects the share at 'vms/hyperv'"
echo "== shadow:mountpoint that is the subvolume root: fine"
sc2conf mpok "shadow:snapdir = .rvss-snapshots" "shadow:mountpoint = $mnt/vms"
expect_rc 0 "$AGENT" doctor -s "$T/mpok.conf" --module "$T/rvss.so"
out_lacks "RVSS-D009"

echo "== snapdirseverywhere: the nearest directory holding the snapdir"
sc2conf evw "shadow:snapdir = .rvss-snapshots" "shadow:snapdirseverywhere = yes"
expect_rc 0 "$AGENT" doctor -s "$T/evw.conf" --module "$T/rvss.so"
out_lacks "RVSS-D009"
mkdir "$share/.rvss-snapshots"
expect_rc 1 "$AGENT" doctor -s "$T/evw.conf" --module "$T/rvss.so"
out_has "RVSS-D009 [hv] shadow:snapdir = .rvss-snapshots resolves to $share/.rvss-snapshots"
rmdir "$share/.rvss-snapshots"
echo OK
