#!/bin/bash
# rvss:check layout = yes applies fsrvp_agent check's rules (ONTAP's Remote
# VSS share rules) at IsPathSupported / AddToShadowCopySet: a share whose
# root holds a symlink and a non-VM file is refused with
# FSRVP_E_NOT_SUPPORTED and the findings are logged with their paths; a
# share of VM files only is supported and its set works; without the option
# the same bad share is supported (the rules are opt-in).
. "$(dirname "$0")/lib.sh" || exit 1
rvss_init "$@"
[ "$RVSS_BACKEND" = rvss ] || skip "rvss:check layout is an rvss option"

step "set-up"
make_btrfs fs
VOL=$MNT/vol
make_subvol "$VOL"
make_share_dir "$VOL/good"
mkdir -p "$VOL/good/vm1"
echo state >"$VOL/good/vm1/vm1.vmrs"
echo cfg >"$VOL/good/vm1.vmcx"
make_share_dir "$VOL/bad"
echo notes >"$VOL/bad/notes.txt"
ln -s /etc/passwd "$VOL/bad/link"
smb_conf_begin
add_share good "$VOL/good" "vfs objects = rvss" "rvss:check layout = yes"
add_share bad "$VOL/bad" "vfs objects = rvss" "rvss:check layout = yes"
add_share badoff "$VOL/bad" "vfs objects = rvss"
make_users
smbd_start
SUBVOLS_BEFORE=$(list_subvolumes "$MNT")

step "a share of VM files only is supported, and its set works"
assert_path_supported good
create_expose backup ro good
assert_eq state "$(smb_get "${EXPOSED[0]}" vm1/vm1.vmrs)" "exposed vm1/vm1.vmrs"
fss_delete_ok good "$SET_ID" "${SC_IDS[0]}"

step "the bad share is refused, nothing is created"
assert_path_refused bad "$FSRVP_E_NOT_SUPPORTED"
out=$(rpc "fss_create_expose backup ro bad")
assert_contains "$out" "$FSRVP_E_NOT_SUPPORTED" "create on bad"
assert_eq "$SUBVOLS_BEFORE" "$(list_subvolumes "$MNT")" "subvolumes after refused create"

step "the log names each finding"
samba_log_grep "RVSS-L001" || fail "symlink finding (RVSS-L001) not logged"
samba_log_grep "notes.txt" || fail "non-VM root file not named in the log"

step "without rvss:check layout the same tree is supported"
assert_path_supported badoff
echo "OK"
