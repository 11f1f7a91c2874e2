#!/bin/bash
# rvss.so survives a Samba point or security update without a rebuild:
# Debian's private Samba libraries carry the full Debian revision in their
# symbol versions (SAMBA_4.22.11_DEBIAN_4.22.11_DFSG_0_DEB13U1_PRIVATE_SAMBA),
# so a module that needs one of them, or holds a versioned reference to one
# of its symbols, fails to load after the next upload.  The module must be a
# plain shared object whose Samba symbols resolve inside smbd unversioned.
# (The load of a module built for one point release into another's smbd is
# scenario 002.)
set -u
. "$(dirname "$0")/lib.sh"

so=${RVSS_BUILDDIR:-build}/rvss.so
[ -f "$so" ] || fail "$so not built"
command -v readelf >/dev/null || skip "readelf (binutils) not installed"

step "NEEDED entries: libc and libbtrfsutil only"
needed=$(readelf -d -W "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
log "$needed"
[ -n "$needed" ] || fail "readelf found no NEEDED entry at all in $so"
for lib in $needed; do
	case $lib in
	libc.so.* | libbtrfsutil.so.*) ;;
	*) fail "$so needs $lib: only libc and libbtrfsutil may be linked" ;;
	esac
done

step "no versioned reference but glibc's and libbtrfsutil's"
versions=$(readelf -V -W "$so" | sed -n 's/.*Name: \([^ ]*\).*Flags.*/\1/p' | sort -u)
log "$versions"
for v in $versions; do
	case $v in
	GLIBC_* | LIBBTRFSUTIL_*) ;;
	*) fail "$so references symbol version $v" ;;
	esac
done
bad=$(readelf --dyn-syms -W "$so" | awk '$7 == "UND" && $8 ~ /@/' |
	grep -Ev '@(GLIBC_|LIBBTRFSUTIL_)' || true)
[ -z "$bad" ] || fail "versioned undefined symbols: $bad"

step "Samba's symbols are undefined here, to be found in smbd at load time"
und=$(readelf --dyn-syms -W "$so" | awk '$7 == "UND" { print $8 }')
for sym in smb_register_vfs debug_add_class become_root; do
	printf '%s\n' "$und" | grep -qx "$sym" ||
		fail "$sym is not an unversioned undefined symbol of $so"
done
readelf --dyn-syms -W "$so" | awk '$7 != "UND" && $5 == "GLOBAL" { print $8 }' |
	grep -qx samba_init_module || fail "$so does not export samba_init_module"
echo OK
