#!/bin/bash
# rvss demo (make demo): a Windows-style shadow copy of an SMB share on btrfs,
# made by Debian's own smbd with rvss.so and driven by a real FSRVP client
# (Samba's rpcclient fss_* commands), step by step:
#
#   create (file_share_backup, rw) -> expose -> backup read over SMB
#   -> recovery complete -> delete, then fsrvp_agent check on the share.
#
#   examples/demo.sh [BUILDDIR]        (as root; BUILDDIR holds rvss.so)
#
# Everything happens on a throw-away loop-mounted btrfs inside a private
# mount namespace, with a private smb.conf and state directories, on
# 127.0.0.1 only (tests/integration/lib.sh).  The machine's Samba
# configuration, state and services are not touched, and everything the
# demo starts or mounts is gone when it ends.
#
# The FSRVP client is a backup operator, as a Windows backup application's
# service account would be: the plain account rvssadmin (not root) holding
# SeBackupPrivilege.  DEMO_USER=root runs it as uid 0 instead.

RVSS_BUILDDIR=${1:-${RVSS_BUILDDIR:-build}}
export RVSS_BUILDDIR
export RVSS_ADMIN_USER=${DEMO_USER:-rvssadmin}
. "$(dirname "$0")/../tests/integration/lib.sh" || exit 1
rvss_init "$@"

# ---------------------------------------------------------------- display

say() {
	if [ -t 1 ]; then
		printf '\n\033[1m%s\033[0m\n' "$*"
	else
		printf '\n%s\n' "$*"
	fi
}

# show DESCRIPTION CMD...: print the command, run it, indent its output.
show() {
	printf '  $ %s\n' "$1"
	shift
	"$@" 2>&1 | sed 's/^/    /'
	return "${PIPESTATUS[0]}"
}

rpc_shown() {	# CMD: rpcclient as the administrator would type it
	printf '  $ rpcclient -s smb.conf -p %s 127.0.0.1 -U %s%%*** -c '"'"'%s'"'"'\n' \
		"$SMB_PORT" "$ADMIN_USER" "$*"
	rpc "$*" | sed 's/^/    /'
}

cat <<EOF
rvss demo: Remote VSS (MS-FSRVP) shadow copies of an SMB share on btrfs
  Samba:  $(smbd -V)
  module: $RVSS_BUILDDIR/rvss.so
  all of it in a private mount namespace on 127.0.0.1; nothing of this
  machine's Samba is touched.
EOF

# ---------------------------------------------------------------- set-up

say "1. A throw-away btrfs with a subvolume 'vms'; the share 'hyperv' is a plain directory inside it"
make_btrfs demo-btrfs 1G
VOL=$MNT/vms
make_subvol "$VOL"
SHARE_DIR=$VOL/hyperv
make_share_dir "$SHARE_DIR"
mkdir -p "$SHARE_DIR/vm1/Virtual Hard Disks" "$SHARE_DIR/vm1/Virtual Machines"
# A fixed-size VHD (8 MiB of data + the 512-byte "conectix" footer), so the
# agent's virtual disk reader finds a well-formed disk.
/usr/bin/python3 - "$SHARE_DIR/vm1/Virtual Hard Disks/vm1.vhd" <<'PY'
import os, struct, sys, uuid
size = 8 << 20
f = bytearray(512)
f[0:8] = b'conectix'
struct.pack_into('>IIQI', f, 8, 2, 0x00010000, 0xFFFFFFFFFFFFFFFF, 0)
f[28:32] = b'rvss'
struct.pack_into('>IIQQ', f, 32, 0x00010000, 0x5769326B, size, size)
struct.pack_into('>HBBI', f, 56, 1024, 16, 63, 2)   # geometry, type fixed
f[68:84] = uuid.uuid4().bytes
struct.pack_into('>I', f, 64, ~sum(f) & 0xFFFFFFFF)
with open(sys.argv[1], 'wb') as out:
    out.write(os.urandom(size))
    out.write(f)
PY
head -c 64K /dev/urandom >"$SHARE_DIR/vm1/Virtual Machines/vm1.vmcx"
echo "state before the backup" >"$SHARE_DIR/vm1/Virtual Machines/vm1.vmrs"
chown -R "$ADMIN_UID:rvssit" "$SHARE_DIR"
show "btrfs subvolume list $MNT" btrfs subvolume list "$MNT"
show "find $SHARE_DIR -type f" find "$SHARE_DIR" -type f
SUM_BEFORE=$(content_sum "$SHARE_DIR")

say "2. A private smbd (Debian's own) with rvss, as an FSRVP server wants it"
smb_conf_begin
add_share hyperv "$SHARE_DIR" \
	"vfs objects = rvss shadow_copy2" \
	"shadow:snapdir = .rvss-snapshots" \
	"# rvss keeps its snapshots in <subvolume root>/.rvss-snapshots," \
	"# hidden from SMB clients; shadow_copy2 shows them as Previous Versions"
make_users
echo "  the FSRVP-relevant lines of the private smb.conf:"
grep -E 'registry shares|rpcd_fsrvp|fss:|^\[hyperv\]|vfs objects|shadow:|path = '"$SHARE_DIR" \
	"$CONF" | grep -v '^[[:space:]]*#' | sed 's/^[[:space:]]*/    /'
if [ "$ADMIN_USER" != root ]; then
	echo "  the backup operator '$ADMIN_USER' holds SeBackupPrivilege:"
	printf '  $ net sam rights grant %s SeBackupPrivilege\n' "$ADMIN_USER"
fi
smbd_start
echo "  smbd (pid $SMBD_PID) listens on 127.0.0.1:$SMB_PORT"

# ---------------------------------------------------------------- FSRVP

say "3. Is the share supported? (IsPathSupported, GetSupportedVersion)"
rpc_shown "fss_is_path_sup hyperv"
assert_path_supported hyperv
rpc_shown "fss_get_sup_version"

say "4. Create and expose a shadow copy set (context file_share_backup, rw: the requester may fix up the copy before recovery completes)"
printf '  $ rpcclient ... -c '"'"'fss_create_expose file_share_backup rw hyperv'"'"'\n'
create_expose file_share_backup rw hyperv >"$WORK/create.out"
sed 's/^/    /' "$WORK/create.out"
SC=${SC_IDS[0]} EXPOSED_SHARE=${EXPOSED[0]}
[ -n "$SC" ] || fail "no shadow copy created"
SNAP=$(sc_path_of "$SC")
echo "  Samba recorded snap_path = $SNAP"
echo "  the btrfs snapshot rvss made of the enclosing subvolume:"
show "btrfs subvolume list $MNT" btrfs subvolume list "$MNT"

say "5. The live share changes after the commit; the shadow copy does not"
echo "state after the backup started" >"$WORK/new-state"
smbc hyperv 'put "'"$WORK/new-state"'" "vm1/Virtual Machines/vm1.vmrs"' >/dev/null ||
	fail "write to the live share"
printf '  live   \\\\127.0.0.1\\hyperv\\vm1\\Virtual Machines\\vm1.vmrs: %s\n' \
	"$(smb_get hyperv 'vm1/Virtual Machines/vm1.vmrs')"
printf '  shadow \\\\127.0.0.1\\%s\\vm1\\Virtual Machines\\vm1.vmrs: %s\n' \
	"$EXPOSED_SHARE" "$(smb_get "$EXPOSED_SHARE" 'vm1/Virtual Machines/vm1.vmrs')"

say "6. The backup application reads the exposed share over SMB"
BACKUP=$WORK/backup
mkdir -p "$BACKUP"
printf '  $ smbclient //127.0.0.1/%s -c "recurse; prompt; mget *"\n' "$EXPOSED_SHARE"
(cd "$BACKUP" && smbclient -s "$CONF" -p "$SMB_PORT" "//127.0.0.1/$EXPOSED_SHARE" \
	-U "$ADMIN_USER%$ADMIN_PASS" -c 'recurse; prompt; mget *' 2>&1) |
	sed 's/^/    /'
SUM_BACKUP=$(content_sum "$BACKUP")
if [ "$SUM_BACKUP" = "$SUM_BEFORE" ]; then
	echo "  the backup equals the share as it was at the commit (checksum $SUM_BACKUP)"
else
	fail "backup checksum $SUM_BACKUP differs from the pre-commit tree $SUM_BEFORE"
fi

say "7. Recovery complete; the mapping as the requester sees it"
rpc_shown "fss_recovery_complete $SET_ID"
rpc_shown "fss_get_mapping hyperv $SET_ID $SC"

say "8. Delete: the exposed share and the snapshot go away"
rpc_shown "fss_delete hyperv $SET_ID $SC"
[ ! -e "$SNAP" ] || fail "snapshot $SNAP still exists after delete"
show "btrfs subvolume list $MNT" btrfs subvolume list "$MNT"
echo "  the live share keeps its current state:"
printf '    vm1.vmrs: %s\n' "$(cat "$SHARE_DIR/vm1/Virtual Machines/vm1.vmrs")"

# ---------------------------------------------------------------- agent

AGENT=$RVSS_BUILDDIR/bin/fsrvp_agent
if [ -x "$AGENT" ] && "$AGENT" --help 2>&1 | grep -q -E '^[[:space:]]+check[[:space:]]'; then
	say "9. fsrvp_agent check: does the share qualify for Remote VSS (ONTAP's rules)?"
	show "fsrvp_agent check --share hyperv -s smb.conf" \
		"$AGENT" check --share hyperv -s "$CONF"
	echo "  (exit code $?: 0 qualifies, 1 violations found, 2 usage or I/O error)"
	ln -s /etc "$SHARE_DIR/vm1/a-symlink"
	echo "  after adding a symbolic link to the share:"
	show "fsrvp_agent check --share hyperv -s smb.conf" \
		"$AGENT" check --share hyperv -s "$CONF"
	echo "  (exit code $?)"
	rm -f "$SHARE_DIR/vm1/a-symlink"
else
	say "9. fsrvp_agent check: not available in this build ($AGENT)"
fi

say "Done: stopping smbd, unmounting, removing the temporary files"
exit 0
