#!/bin/bash
# The rules that need a real btrfs: nested subvolumes, mount points, other
# filesystems, rvss's own snapshot store; and doctor on a good
# configuration.  Runs as root in a private mount namespace on a loop
# device it attaches and detaches itself.
set -eu
if [ -z "${RVSS_AGENT_NS:-}" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "not root: needs a loop-mounted btrfs"
		exit 77
	fi
	for c in mkfs.btrfs btrfs losetup unshare testparm; do
		if ! command -v $c >/dev/null; then
			echo "$c missing (btrfs-progs, util-linux, samba-common-bin)"
			exit 77
		fi
	done
	exec unshare -m --propagation private env RVSS_AGENT_NS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

loopdev=""
mnt=$T/mnt
detach() {
	# Only what this script made: its own mount and its own loop device.
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
echo "btrfs on $loopdev at $mnt"

btrfs -q subvolume create "$mnt/vms"
share=$mnt/vms
mkdir -p "$share/vm1" "$share/vm2"
echo x > "$share/vm1/disk.bin"

echo "== a subvolume share with only VM files qualifies"
expect_rc 0 "$AGENT" check "$share"

echo "== rvss's snapshot store inside the share is not a finding"
mkdir "$share/.rvss-snapshots"
btrfs -q subvolume snapshot -r "$share" "$share/.rvss-snapshots/s1"
expect_rc 0 "$AGENT" check "$share"

echo "== nested subvolume: RVSS-L005, not descended"
btrfs -q subvolume create "$share/vm1/nested"
ln -s /etc "$share/vm1/nested/link-inside"
expect_rc 1 "$AGENT" check --json "$share"
json_valid
json_eval '[(f["code"], f["path"]) for f in d["findings"]] == [("RVSS-L005", "vm1/nested")]'

echo "== doctor --layout sees it too"
mkdir -p "$T/lock" "$T/state" "$T/cache" "$T/private" "$T/pid"
cat > "$T/good.conf" <<CONF
[global]
	lock directory = $T/lock
	state directory = $T/state
	cache directory = $T/cache
	private dir = $T/private
	pid directory = $T/pid
	registry shares = yes
	rpcd_fsrvp:num_workers = 1
[vms]
	path = $share
	vfs objects = rvss shadow_copy2
	shadow:snapdir = $share/.rvss-snapshots
CONF
expect_rc 1 "$AGENT" doctor --layout -s "$T/good.conf"
out_has "RVSS-D010 [vms]"
out_has "RVSS-L005 vm1/nested"
out_has "RVSS-D013 [vms] nested subvolume"
out_has "rvss:nested subvolumes = include"

echo "== rvss:nested subvolumes = include: no finding, doctor explains it"
sed "s|vfs objects = rvss shadow_copy2|&\n\trvss:nested subvolumes = include|" \
	"$T/good.conf" > "$T/nested.conf"
expect_rc 0 "$AGENT" check --json --share vms -s "$T/nested.conf"
json_eval 'd["nested_subvolumes"] == "include" and d["findings"] == []'
expect_rc 1 "$AGENT" check --json --share vms -s "$T/good.conf"
json_eval 'd["nested_subvolumes"] == "refuse" and [f["code"] for f in d["findings"]] == ["RVSS-L005"]'
expect_rc 1 "$AGENT" doctor --layout -s "$T/nested.conf"
out_has "1 nested subvolume(s) below the share now"
out_lacks "RVSS-D013"
out_lacks "RVSS-D010"
sed "s|rvss:nested subvolumes = include|rvss:nested subvolumes = sometimes|" \
	"$T/nested.conf" > "$T/nested-bad.conf"
expect_rc 1 "$AGENT" doctor -s "$T/nested-bad.conf"
out_has "RVSS-D013 [vms] rvss:nested subvolumes = sometimes is not"
expect_rc 2 "$AGENT" check --share vms -s "$T/nested-bad.conf"
btrfs -q subvolume delete "$share/vm1/nested"

echo "== doctor: good configuration on btrfs, with and without --layout"
# rvss.so as installed for this smbd (its build record; RVSS-D012 is 045's)
fake_module "$T/rvss.so" "$(smbd_version)" 47
expect_rc 0 "$AGENT" doctor -s "$T/good.conf" --module "$T/rvss.so"
out_has "0 problems found"
expect_rc 0 "$AGENT" doctor --layout --json -s "$T/good.conf" --module "$T/rvss.so"
json_valid
json_eval 'd["ok"] is True and d["problems"] == 0'
expect_rc 0 "$AGENT" check --share vms -s "$T/good.conf"

echo "== doctor: shadow:snapdir not the store, store on another filesystem"
sed "s|shadow:snapdir = .*|shadow:snapdir = .snapshots|" "$T/good.conf" > "$T/snapdir.conf"
expect_rc 1 "$AGENT" doctor -s "$T/snapdir.conf"
out_has "RVSS-D009 [vms]"
mkdir -p "$T/elsewhere"
sed "s|shadow:snapdir = .*|rvss:snapshot dir = $T/elsewhere|" "$T/good.conf" > "$T/store.conf"
expect_rc 1 "$AGENT" doctor -s "$T/store.conf"
out_has "RVSS-D007 [vms]"

echo "== other filesystem below the share: RVSS-L007"
mkdir "$share/vm1/tmp"
mount -t tmpfs -o size=1m rvss-test "$share/vm1/tmp"
touch "$share/vm1/tmp/not-walked.txt"
expect_rc 1 "$AGENT" check --json "$share"
json_eval '[(f["code"], f["path"]) for f in d["findings"]] == [("RVSS-L007", "vm1/tmp")]'
umount "$share/vm1/tmp"

echo "== bind mount of the same btrfs below the share: RVSS-L006"
mkdir "$share/vm1/bind"
mount --bind "$share/vm2" "$share/vm1/bind"
expect_rc 1 "$AGENT" check --json "$share"
json_eval '[(f["code"], f["path"]) for f in d["findings"]] == [("RVSS-L006", "vm1/bind")]'
umount "$share/vm1/bind"

echo "== a share that is a directory inside a subvolume"
expect_rc 0 "$AGENT" check "$share/vm1"

echo "== hard link outside the share, read from the btrfs tree and by statx"
# The share is vm2, a directory of the subvolume; the other link is in vm1.
# Linked just now: btrfs has not written the new link count into its tree
# yet; check commits the transaction first, so it is seen.
mkdir "$share/vm2/d"
echo y > "$share/vm2/d/disk.bin"
ln "$share/vm2/d/disk.bin" "$share/vm1/other-link.bin"
expect_rc 1 "$AGENT" check --json "$share/vm2"
json_eval 'd["link_counts"] == "btrfs-tree" and [(f["code"], f["path"]) for f in d["findings"]] == [("RVSS-L012", "d/disk.bin")]'
expect_rc 1 "$AGENT" check --json --no-tree-search --threads 1 "$share/vm2"
json_eval 'd["link_counts"] == "statx" and [(f["code"], f["path"]) for f in d["findings"]] == [("RVSS-L012", "d/disk.bin")]'
expect_rc 0 "$AGENT" check --json --no-hardlink-check "$share/vm2"
json_eval 'd["link_counts"] == "none" and d["hardlinks_checked"] is False'
echo "== both links inside the share: no finding"
expect_rc 0 "$AGENT" check "$share"
rm "$share/vm1/other-link.bin"
expect_rc 0 "$AGENT" check "$share/vm2"
echo OK
