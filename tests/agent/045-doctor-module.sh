#!/bin/bash
# fsrvp_agent doctor, RVSS-D012: is the installed rvss.so built for the
# running smbd's Samba series?  Read from the module's build record.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

command -v smbd >/dev/null || skip "smbd not installed"
ver=$(smbd_version)
[ -n "$ver" ] || fail "cannot read smbd --version"
major=${ver%%.*}
rest=${ver#*.}
minor=${rest%%.*}

cat >"$T/smb.conf" <<CONF
[global]
	registry shares = yes
	rpcd_fsrvp:num_workers = 1
CONF

echo "== the module built in this tree carries a record for this Samba"
if [ -f "$BUILDDIR/rvss.so" ]; then
	expect_rc 1 "$AGENT" doctor -s "$T/smb.conf" --module "$BUILDDIR/rvss.so"
	out_has "ok      $BUILDDIR/rvss.so built for Samba $major.$minor."
	out_has "smbd is Samba $ver: same series"
	out_lacks "RVSS-D012"
	iface=$(sed -n 's/.*built for Samba [0-9.]* (VFS interface \([0-9]*\)).*/\1/p' "$T/out")
	case $ver in
	4.17.*) [ "$iface" = 47 ] || fail "4.17 is VFS interface 47, got '$iface'" ;;
	4.22.*) [ "$iface" = 50 ] || fail "4.22 is VFS interface 50, got '$iface'" ;;
	4.24.*) [ "$iface" = 52 ] || fail "4.24 is VFS interface 52, got '$iface'" ;;
	esac
else
	echo "(no rvss.so in $BUILDDIR: a sanitizer build; the records below are files)"
fi

echo "== same series, another point release: fine"
fake_module "$T/same.so" "$major.$minor.999" 1
expect_rc 1 "$AGENT" doctor -s "$T/smb.conf" --module "$T/same.so"
out_has "built for Samba $major.$minor.999"
out_has "smbd is Samba $ver: same series"
out_lacks "RVSS-D012"

echo "== another series: a problem, in words an administrator acts on"
other="$major.$((minor + 1)).3"
fake_module "$T/other.so" "$other" 99
expect_rc 1 "$AGENT" doctor -s "$T/smb.conf" --module "$T/other.so"
out_has "RVSS-D012 $T/other.so was built for Samba $other (VFS interface 99, package test)"
out_has "this smbd is Samba $ver: smbd refuses to load it"
out_has "install the rvss build for Samba $major.$minor"
expect_rc 1 "$AGENT" doctor --json -s "$T/smb.conf" --module "$T/other.so"
json_valid
grep -q '"RVSS-D012"' "$T/out" || fail "D012 missing from --json"

echo "== no record, no file"
printf 'not a module' >"$T/plain.so"
expect_rc 1 "$AGENT" doctor -s "$T/smb.conf" --module "$T/plain.so"
out_has "RVSS-D012 $T/plain.so carries no rvss build record"
expect_rc 1 "$AGENT" doctor -s "$T/smb.conf" --module "$T/missing.so"
out_has "RVSS-D012 $T/missing.so: No such file or directory: rvss is not installed"
echo "OK"
