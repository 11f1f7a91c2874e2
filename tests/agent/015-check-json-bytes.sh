#!/bin/bash
# fsrvp_agent check --json: every file name, whatever its bytes, can be
# recovered exactly from the JSON (jsonout.h: the string, plus NAME_b64
# when the bytes are not UTF-8), by a standard JSON parser.
. "$(dirname "$0")/lib.sh"

# The walked root itself has odd bytes in its name, so "path" of the
# report needs NAME_b64 too.
root=$T/$(printf 'share\377\\dir')
mkdir -p "$root"
# Files in the share root with a non-VM extension: one RVSS-L009 finding
# each, whose path is the name itself.
names=(
	'back\slash.txt'
	'"quoted".txt'
	"$(printf 'new\nline\ttab\001ctl\177.txt')"
	"$(printf 'caf\303\251-\342\202\254-\360\237\230\200.txt')"
	"$(printf 'latin1-\351t\351.txt')"
	"$(printf 'lone\377byte.txt')"
	"$(printf 'overlong\300\257.txt')"
	"$(printf 'surrogate\355\240\200.txt')"
	"$(printf 'mixed\\\377"\001.txt')"
)
for n in "${names[@]}"; do
	printf x > "$root/$n"
done

expect_rc 1 "$AGENT" check --json "$root"
json_valid

echo "== every finding's path gives back the exact bytes of one file"
"$PY" - "$T/out" "$root" <<'PY' || fail "paths not recovered exactly"
import base64, json, os, sys

def raw(o, k):
    if k + "_b64" in o:
        b = base64.b64decode(o[k + "_b64"], validate=True)
        # the readable string is the same bytes with U+FFFD for bad ones
        assert o[k] == b.decode("utf-8", "replace"), (o[k], b)
        return b
    return o[k].encode("utf-8")

d = json.load(open(sys.argv[1]))
root = os.fsencode(sys.argv[2])
got = sorted(raw(f, "path") for f in d["findings"])
want = sorted(os.listdir(root))
print("got ", got)
print("want", want)
assert all(f["code"] == "RVSS-L009" for f in d["findings"]), d["findings"]
assert got == want
assert raw(d, "path") == os.path.realpath(root), (raw(d, "path"), root)
# valid UTF-8 names carry no _b64 member; the others do
for f in d["findings"]:
    b = raw(f, "path")
    try:
        b.decode("utf-8")
        assert "path_b64" not in f, f
    except UnicodeDecodeError:
        assert "path_b64" in f, f
PY
echo "recovered ${#names[@]} names exactly"
echo OK
