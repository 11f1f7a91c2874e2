#!/bin/bash
# fsrvp_agent check on plain directories: exit codes, human and JSON
# output, options, odd bytes, progress only on a terminal.
. "$(dirname "$0")/lib.sh"

good=$T/good
mkdir -p "$good/vm1/Virtual Hard Disks" "$good/vm2"
touch "$good/vm1/Virtual Hard Disks/disk.bin" "$good/db.mdf" "$good/vm.vmcx"

echo "== a clean tree qualifies: exit 0"
expect_rc 0 "$AGENT" check "$good"
out_has "qualifies for Remote VSS"
expect_rc 0 "$AGENT" check --json "$good"
json_valid
json_eval 'd["qualifies"] is True and d["findings"] == [] and d["entries"] == 6'

bad=$T/bad
mkdir -p "$bad/vm1/a/b/c/d/e/f"
touch "$bad/readme.txt"
ln -s /etc "$bad/vm1/etc-link"
mkfifo "$bad/vm1/pipe"
echo data > "$bad/vm1/disk.bin"
ln "$bad/vm1/disk.bin" "$T/outside-link"
printf 'x' > "$bad/vm1/$(printf 'odd\001\377"name')"
printf 'x' > "$bad/$(printf 'root\377.txt')"

echo "== violations: exit 1, one line per finding with a stable code"
expect_rc 1 "$AGENT" check "$bad"
out_has "RVSS-L009 readme.txt"
out_has "RVSS-L001 vm1/etc-link"
out_has "RVSS-L003 vm1/pipe"
out_has "RVSS-L008 vm1/a/b/c/d/e"
out_has "RVSS-L012 vm1/disk.bin"
out_has 'RVSS-L009 root\xff.txt'
out_has "does NOT qualify"

echo "== --json: valid JSON even with odd bytes in names"
expect_rc 1 "$AGENT" check --json "$bad"
json_valid
json_eval 'd["qualifies"] is False and d["num_findings"] == len(d["findings"]) == 6'
json_eval 'sorted(f["code"] for f in d["findings"]) == ["RVSS-L001","RVSS-L003","RVSS-L008","RVSS-L009","RVSS-L009","RVSS-L012"]'
json_eval '{"path": "root\ufffd.txt", "path_b64": "cm9vdP8udHh0"} in [{k: f[k] for k in ("path", "path_b64") if k in f} for f in d["findings"]]'

echo "== --no-hardlink-check skips RVSS-L012 only"
expect_rc 1 "$AGENT" check --json --no-hardlink-check "$bad"
json_eval 'd["hardlinks_checked"] is False and d["num_findings"] == 5'
json_eval '"RVSS-L012" not in [f["code"] for f in d["findings"]]'

echo "== --threads 1 gives the same answer"
expect_rc 1 "$AGENT" check --json --threads 1 "$bad"
json_eval 'd["num_findings"] == 6'
expect_rc 2 "$AGENT" check --threads 0 "$bad"

echo "== --max-depth"
expect_rc 1 "$AGENT" check --json --max-depth 0 "$bad"
json_eval '"RVSS-L008" not in [f["code"] for f in d["findings"]]'
expect_rc 1 "$AGENT" check --json --max-depth 2 "$bad"
json_eval '[f["path"] for f in d["findings"] if f["code"] == "RVSS-L008"] == ["vm1/a/b"]'

echo "== --extensions replaces, +LIST adds"
expect_rc 1 "$AGENT" check --json --extensions .txt "$good"
json_eval 'sorted(f["path"] for f in d["findings"]) == ["db.mdf", "vm.vmcx"]'
expect_rc 0 "$AGENT" check --extensions +txt,iso "$good"
touch "$good/readme.txt"
expect_rc 0 "$AGENT" check --extensions +txt "$good"
rm "$good/readme.txt"

echo "== usage and I/O errors: exit 2"
expect_rc 2 "$AGENT" check
expect_rc 2 "$AGENT" check "$good" "$bad"
expect_rc 2 "$AGENT" check --max-depth -1 "$good"
expect_rc 2 "$AGENT" check --max-depth x "$good"
expect_rc 2 "$AGENT" check --extensions "a/b" "$good"
expect_rc 2 "$AGENT" check --bogus "$good"
expect_rc 2 "$AGENT" check "$T/does-not-exist"
grep -q "No such file" "$T/err" || fail "no reason on stderr"
expect_rc 2 "$AGENT" check "$good/db.mdf"
ln -s "$good" "$T/link-to-good"
expect_rc 2 "$AGENT" check "$T/link-to-good"
expect_rc 2 "$AGENT" check --json "$T/does-not-exist"
json_valid
expect_rc 0 "$AGENT" check --help
out_has "--max-depth"

echo "== progress: never when stderr is not a terminal"
big=$T/big
mkdir -p "$big/d"
(cd "$big/d" && seq 1 6000 | xargs touch)
expect_rc 0 "$AGENT" check "$big"
[ ! -s "$T/err" ] || fail "stderr not empty when piped: $(cat "$T/err")"
echo "== progress: on a terminal (script(1) gives a pty)"
script -qec "$AGENT check $big" /dev/null > "$T/tty" 2>&1 || fail "check on a tty failed"
grep -q "checking: " "$T/tty" || { cat -v "$T/tty"; fail "no progress line on a terminal"; }
echo OK
