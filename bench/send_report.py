#!/usr/bin/python3
# The section "7. Off-box copies" of docs/benchmarks.md from bench/send.sh's
# raw figures: send_report.py SEND.TXT MIB NBLOCKS ROUNDS > send.md
import statistics, sys
path, mib, nblocks, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = {}
first = None
machine = ''
for line in open(path):
    p = line.split()
    if p[0] == 'machine:':
        machine = line.split(' ', 1)[1].strip()
        continue
    if p[0] == 'first_full_send':
        first = (int(p[1]), int(p[2]))
        continue
    rows.setdefault(p[0], []).append((int(p[2]), int(p[3])))
names = [
    ('agent_send', '`fsrvp_agent send` (incremental: btrfs send -p → receive)'),
    ('full_send', 'full send (btrfs send → receive, no parent)'),
    ('rsync_delta', '`rsync -a --no-whole-file --inplace` (delta transfer)'),
    ('rsync_whole', '`rsync -a` (local default: whole files)'),
]
base_t = statistics.median(t for t, _ in rows['agent_send'])
base_b = statistics.median(b for _, b in rows['agent_send'])
out = []
out.append('## 7. Off-box copies: fsrvp_agent send vs a full send vs rsync')
out.append('')
out.append('bench/send.sh: a share of %d MiB (16 files, random data) on one loop '
           'btrfs, copies on another; per round %d blocks of 64 KiB at random '
           'offsets (1 %% of the share) change, a backup is taken by a real FSRVP '
           'cycle (ro set retained on delete), and the same change is copied four '
           'ways.  Median of %d rounds; time includes the sync that makes the copy '
           'durable; page cache warm.  Bytes: the send stream, or rsync\'s literal '
           'data (what it had to write); rsync reads both sides in full to find '
           'the change.  Measured by bench/send.sh alone (%s).' % (mib, nblocks, rounds, machine))
out.append('')
out.append('| method | time (s) | bytes moved | time / agent send | bytes / agent send |')
out.append('|---|---:|---:|---:|---:|')
for key, label in names:
    t = statistics.median(x for x, _ in rows[key])
    b = statistics.median(x for _, x in rows[key])
    out.append('| %s | %.2f | %s | %.1f× | %.1f× |' % (
        label, t / 1000, format(int(b), ','), t / base_t, b / base_b))
out.append('')
if first:
    out.append('The first send of the share (in full, no backup in common yet): '
               '%.2f s, %s bytes.' % (first[0] / 1000, format(first[1], ',')))
    out.append('')
out.append('Per round (ms, bytes):')
out.append('')
out.append('| round | ' + ' | '.join(k for k, _ in names) + ' |')
out.append('|---:|' + '---:|' * len(names))
for i in range(len(rows['agent_send'])):
    out.append('| %d | ' % (i + 1) + ' | '.join(
        '%d ms, %s B' % (rows[k][i][0], format(rows[k][i][1], ',')) for k, _ in names) + ' |')
out.append('')
print('\n'.join(out))
