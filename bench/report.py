#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""report — turn bench/run.sh's raw samples into docs/benchmarks.md and
docs/commit-vs-size.png (gnuplot).  Usage: report.py RESULTS_DIR DOCS_DIR.
Prints the markdown on stdout too.  Figures and ratios only: nothing here
passes or fails.

Copyright (C) rvss authors.  GPL-3.0-or-later.
"""

import collections
import json
import math
import os
import shutil
import statistics
import subprocess
import sys



def size_name(s):
    """f0 -> empty, f10000 -> 10k files, d20g -> 20 GiB."""
    if s == 'f0':
        return 'empty'
    if s.startswith('f'):
        n = int(s[1:])
        for div, suf in ((1000000, 'M'), (1000, 'k')):
            if n >= div and n % div == 0:
                return '%d%s files' % (n // div, suf)
        return '%d files' % n
    if s.startswith('d') and s.endswith('g'):
        return '%s GiB' % s[1:-1]
    return s


def size_key(s):
    return (0 if s.startswith('f') else 1, int(s[1:].rstrip('g') or 0))


class _Names(dict):
    def get(self, k, default=None):
        return size_name(k)

    def __getitem__(self, k):
        return size_name(k)


SIZE_NAMES = _Names()


def pct(xs, p):
    """Nearest-rank percentile."""
    s = sorted(xs)
    if not s:
        return float('nan')
    k = max(0, min(len(s) - 1, int(math.ceil(p / 100.0 * len(s))) - 1))
    return s[k]


def med(xs):
    return statistics.median(xs) if xs else float('nan')


def fmt(v, unit=''):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return 'n/a'
    if v >= 100:
        s = '%.0f' % v
    elif v >= 10:
        s = '%.1f' % v
    else:
        s = '%.2f' % v
    return s + unit


def ratio(a, b):
    if a is None or b is None or b == 0 or math.isnan(a) or math.isnan(b):
        return 'n/a'
    return '%.2f×' % (a / b)


def read_jsonl(path):
    out = collections.defaultdict(list)
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith('{'):
                d = json.loads(line)
                out[(d['label'], d['op'])].append(d['ms'])
    return out


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l.split() for l in f if l.strip()]


class Doc(object):
    def __init__(self):
        self.lines = []

    def __call__(self, s=''):
        self.lines.append(s)

    def table(self, head, rows):
        self('| ' + ' | '.join(head) + ' |')
        self('|' + '|'.join('---' if i == 0 else '---:'
                            for i in range(len(head))) + '|')
        for r in rows:
            self('| ' + ' | '.join(r) + ' |')
        self()

    def text(self):
        return '\n'.join(self.lines) + '\n'


def section_calls(doc, res, headline):
    doc('## 1. Per-call FSRVP latency (one persistent RPC connection)')
    doc()
    doc('Alternating cycles on two empty subvolumes of the same btrfs, one '
        'share with `vfs objects = rvss`, one with `vfs objects = btrfs` '
        '(`btrfs:manipulate snapshots = yes`), one rpcd_fsrvp, one client '
        'connection.  A cycle: SetContext, Start, Add, Prepare, **Commit**, '
        '**Expose**, GetShareMapping, **RecoveryComplete**, **Delete** '
        '(DeleteShareMapping).  Times in ms, round trip as the client sees it.')
    doc()
    for ctx, fname in (('backup (read-only)', 'calls-ro.jsonl'),
                       ('backup + auto-recovery (writable)', 'calls-rw.jsonl')):
        d = read_jsonl(os.path.join(res, fname))
        if not d:
            continue
        n = len(d.get(('rvss', 'commit'), []))
        doc('Context %s, %d cycles per backend:' % (ctx, n))
        doc()
        rows = []
        for op, name in (('commit', 'Commit'), ('expose', 'Expose'),
                         ('recovery', 'RecoveryComplete'), ('delete', 'Delete')):
            r = d.get(('rvss', op), [])
            b = d.get(('vfs_btrfs', op), [])
            rows.append([name, fmt(med(r)), fmt(pct(r, 95)), fmt(med(b)),
                         fmt(pct(b, 95)), ratio(med(r), med(b)),
                         ratio(pct(r, 95), pct(b, 95))])
            if op == 'commit':
                headline.append('Commit (%s): rvss %s ms vs vfs_btrfs %s ms '
                                'median, **%s** (p95 %s)'
                                % (ctx, fmt(med(r)), fmt(med(b)),
                                   ratio(med(r), med(b)),
                                   ratio(pct(r, 95), pct(b, 95))))
        doc.table(['call', 'rvss median', 'rvss p95', 'vfs_btrfs median',
                   'vfs_btrfs p95', 'rvss/vfs_btrfs median',
                   'rvss/vfs_btrfs p95'], rows)


def section_size(doc, res, docs, headline):
    doc('## 2. Commit vs share size')
    doc()
    f = read_jsonl(os.path.join(res, 'size-fsrvp.jsonl'))
    core = collections.defaultdict(list)
    for w in read_lines(os.path.join(res, 'size-core.txt')):
        if len(w) == 3:
            core[(w[0], w[1])].append(float(w[2]) / 1000.0)  # us -> ms
    found = set(k[0] for k in core) | set(
        l.split(':', 1)[1] for (l, _op) in f if ':' in l)
    sizes = sorted(found, key=size_key)
    if not sizes:
        doc('(not measured)')
        doc()
        return
    cols = [
        ('FSRVP Commit, rvss', lambda s: med(f.get(('rvss:' + s, 'commit'), []))),
        ('FSRVP Commit, vfs_btrfs', lambda s: med(f.get(('vfs_btrfs:' + s, 'commit'), []))),
        ('rvss_snap_create', lambda s: med(core.get((s, 'rvss'), []))),
        ('bare ioctl', lambda s: med(core.get((s, 'ioctl'), []))),
        ('cp -a --reflink=always', lambda s: med(core.get((s, 'reflink'), []))),
        ('cp -a', lambda s: med(core.get((s, 'copy'), []))),
    ]
    vals = {s: [fn(s) for _, fn in cols] for s in sizes}
    doc('Medians in ms.  FSRVP Commit: alternating cycles, rvss and vfs_btrfs '
        'shares on the *same* subvolume.  rvss_snap_create (what the module '
        'does at Commit: check, catalog record, snapshot) and the bare '
        '`BTRFS_IOC_SNAP_CREATE_V2` (already-open fds, read-only) alternate '
        'in bench/rvss_bench.c; every sample starts after `sync` and after '
        'btrfs\'s cleaner finished the previous delete.  The copies are '
        'timed up to the `sync` that makes them durable.')
    doc()
    doc.table(['share'] + [c[0] for c in cols],
              [[SIZE_NAMES.get(s, s)] + [fmt(v) for v in vals[s]] for s in sizes])
    base = vals.get('f0')
    doc('Ratios to the empty share (same method), and to the bare ioctl on the '
        'same tree:')
    doc()
    rows = []
    for s in sizes:
        v = vals[s]
        rows.append([SIZE_NAMES.get(s, s),
                     ratio(v[0], base[0]) if base else 'n/a',
                     ratio(v[1], base[1]) if base else 'n/a',
                     ratio(v[2], base[2]) if base else 'n/a',
                     ratio(v[3], base[3]) if base else 'n/a',
                     ratio(v[2], v[3]), ratio(v[0], v[1]),
                     ratio(v[4], v[3]), ratio(v[5], v[3])])
    doc.table(['share', 'rvss Commit / empty', 'vfs_btrfs Commit / empty',
               'rvss_snap_create / empty', 'ioctl / empty',
               'rvss_snap_create / ioctl', 'rvss / vfs_btrfs Commit',
               'cp --reflink / ioctl', 'cp / ioctl'], rows)
    big = [s for s in sizes if s.startswith('f')][-1]
    if base:
        v = vals[big]
        headline.append('Commit on %s vs empty: rvss %s, vfs_btrfs %s (FSRVP); '
                        'rvss_snap_create %s, bare ioctl %s (in-process); '
                        'rvss_snap_create takes %s the bare ioctl on that tree '
                        '(%s ms vs %s ms); per-file cloning (cp --reflink) '
                        'of it takes %s the rvss_snap_create time'
                        % (SIZE_NAMES[big], ratio(v[0], base[0]),
                           ratio(v[1], base[1]), ratio(v[2], base[2]),
                           ratio(v[3], base[3]), ratio(v[2], v[3]),
                           fmt(v[2]), fmt(v[3]), ratio(v[4], v[2])))
    check = [med(core.get((s, 'rvss_check'), [])) for s in sizes]
    doc('rvss_snap_check alone, part of rvss_snap_create (median ms): ' + ', '.join(
        '%s %s' % (SIZE_NAMES.get(s, s), fmt(d)) for s, d in zip(sizes, check)))
    doc()
    delete = [med(core.get((s, 'rvss_delete'), [])) for s in sizes]
    doc('rvss_snap_delete (median ms): ' + ', '.join(
        '%s %s' % (SIZE_NAMES.get(s, s), fmt(d)) for s, d in zip(sizes, delete)))
    doc()
    doc('![commit latency vs share size](commit-vs-size.png)')
    doc()
    plot(docs, sizes, cols, vals)


def plot(docs, sizes, cols, vals):
    dat = os.path.join(docs, 'commit-vs-size.dat')
    with open(dat, 'w') as f:
        f.write('share ' + ' '.join('"%s"' % c[0] for c in cols) + '\n')
        for s in sizes:
            f.write('"%s" %s\n' % (SIZE_NAMES.get(s, s), ' '.join(
                '%g' % v if not math.isnan(v) else '?' for v in vals[s])))
    if not shutil.which('gnuplot'):
        print('report: gnuplot missing, no PNG', file=sys.stderr)
        return
    gp = """
set terminal pngcairo size 1000,600 font ",11" noenhanced
set output '%(png)s'
set title "Snapshot of a share: time vs share size (median, log scale)"
set ylabel "ms (log scale)"
set xlabel "share contents (FSRVP = round trip seen by the client; the rest in-process)"
set logscale y
set yrange [0.1:*]
set grid ytics mytics
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key top left
set datafile missing '?'
plot for [i=2:%(n)d] '%(dat)s' using i:xtic(1) title columnhead(i)
""" % {'png': os.path.join(docs, 'commit-vs-size.png'), 'dat': dat,
       'n': len(cols) + 1}
    gpf = os.path.join(docs, '.commit-vs-size.gp')
    with open(gpf, 'w') as f:
        f.write(gp)
    subprocess.check_call(['gnuplot', gpf])
    os.unlink(gpf)
    os.unlink(dat)


def windows_stall(writes, windows):
    """For each [a, b] window, the longest write that overlaps it (ms)."""
    out = []
    for a, b in windows:
        m = 0.0
        for s, l in writes:
            if s < b and s + l > a:
                m = max(m, l)
        out.append(m / 1e6)
    return out


def section_vm(doc, res, headline):
    doc('## 3. Effect on a running VM')
    doc()
    phases = [('none', 'no snapshots'), ('rvss', 'rvss_snap_create + delete'),
              ('cli', '`btrfs subvolume snapshot -r` + delete')]
    rows = []
    base_p99 = None
    for ph, name in phases:
        wf = os.path.join(res, 'vm-%s-writes.txt' % ph)
        if not os.path.exists(wf):
            continue
        writes = [(int(a), int(b)) for a, b in read_lines(wf)]
        lat = [l / 1e6 for _, l in writes]
        cw = [[int(x) for x in w]
              for w in read_lines(os.path.join(res, 'vm-%s-commits.txt' % ph))]
        create = [(c[1] - c[0]) / 1e6 for c in cw]
        stall_c = windows_stall(writes, [(c[0], c[1]) for c in cw])
        stall_d = windows_stall(writes, [(c[2], c[3]) for c in cw])
        # writes in the second after each snapshot: copy-on-write of the
        # blocks the snapshot now shares
        after = []
        for c in cw:
            after += [l / 1e6 for s, l in writes if c[1] <= s < c[1] + 1e9]
        if ph == 'none':
            base_p99 = pct(lat, 99)
        rows.append([name, str(len(lat)), fmt(med(lat)), fmt(pct(lat, 99)),
                     fmt(max(lat) if lat else float('nan')),
                     str(len(cw)) if cw else '-',
                     fmt(med(create)) if cw else '-',
                     fmt(med(stall_c)) if cw else '-',
                     fmt(max(stall_c)) if cw else '-',
                     fmt(med(stall_d)) if cw else '-',
                     fmt(pct(after, 99)) if cw else '-'])
        if ph == 'rvss' and base_p99:
            headline.append('VM writer (4 KiB random + fsync): p99 %s ms with '
                            'an rvss snapshot every 2 s vs %s ms without; '
                            'longest write during a create %s ms (median '
                            'over creates)' % (fmt(pct(lat, 99)), fmt(base_p99),
                                              fmt(med(stall_c))))
    if not rows:
        doc('(not measured)')
        doc()
        return
    doc('A writer doing 4 KiB writes at random offsets of a large '
        'preallocated file, each followed by fsync (a VM disk with '
        'write-through), alone and while a snapshot of its subvolume is '
        'taken every 2 s, kept 1 s (the backup reads it) and deleted.  '
        '"stall" = the longest write overlapping the create (or delete) call; '
        '"p99 1 s after" = the writes in the second after each create '
        '(copy-on-write of now-shared blocks).  ms.')
    doc()
    doc.table(['phase', 'writes', 'p50', 'p99', 'max', 'snapshots',
               'create (median)', 'stall per create (median)',
               'stall per create (max)', 'stall per delete (median)',
               'p99 1 s after create'], rows)


def section_scale(doc, res, headline):
    doc('## 4. Scale')
    doc()
    d = read_jsonl(os.path.join(res, 'scale.jsonl'))
    labels = []
    for (l, _op) in d:
        if l not in labels:
            labels.append(l)
    if labels:
        doc('One shadow copy set holding every share (ONTAP\'s limit is 64 '
            'shares per set), over FSRVP; median of the repetitions, ms.  '
            '"1subvol" = the shares are directories of one subvolume, '
            '"Nsubvol" = each share is its own subvolume.')
        doc()
        rows = []
        for l in labels:
            rows.append([l] + [fmt(med(d.get((l, op), []))) for op in
                               ('add_all', 'commit', 'expose', 'recovery',
                                'delete_all', 'delete_each')] +
                        [str(len(d.get((l, 'commit'), [])))])
        doc.table(['set', 'Add (all shares)', 'Commit', 'Expose',
                   'RecoveryComplete', 'Delete (all shares)',
                   'Delete (per share)', 'runs'], rows)
        one = [l for l in labels if l.startswith('rvss:1subvol')]
        single = [l for l in labels if l.endswith(':1share')]
        many = [l for l in labels if l.startswith('rvss:') and l not in one
                and l not in single]
        btr = [l for l in labels if l.startswith('vfs_btrfs:')
               and l not in single]
        if one and 'vfs_btrfs:1share' in labels:
            # vfs_btrfs's best possible for one subvolume: one snapshot
            c1 = med(d[(one[0], 'commit')])
            cb1 = med(d[('vfs_btrfs:1share', 'commit')])
            cr1 = med(d.get(('rvss:1share', 'commit'), []))
            n = len(d.get((one[0], 'delete_each'), [])) // max(
                1, len(d.get((one[0], 'commit'), [])))
            per = (c1 - cr1) / (n - 1) if cr1 and n > 1 else None
            doc('One snapshot per subvolume per set: the %d shares of one '
                'subvolume are one snapshot.  Commit of that set %s ms; a '
                'set of one share, one snapshot: vfs_btrfs %s ms, rvss %s ms '
                '(vfs_btrfs\'s best possible for one subvolume is one '
                'snapshot); ratio to vfs_btrfs\'s one snapshot %s; each '
                'further share of the subvolume adds %s ms to the Commit '
                '(Samba\'s per-share work: a connection, the VFS stack, '
                'and rvss mapping it).'
                % (n, fmt(c1), fmt(cb1), fmt(cr1), ratio(c1, cb1),
                   fmt(per) if per is not None else 'n/a'))
            doc()
            core = collections.defaultdict(list)
            for w in read_lines(os.path.join(res, 'scale-core.txt')):
                if len(w) == 2:
                    core[w[0]].append(float(w[1]) / 1000.0)  # us -> ms
            target = ''
            if core:
                je = med(core.get('join_each', []))
                doc('In-process (bench/rvss_bench.c join, 3 sets of %d '
                    'shares of one subvolume): rvss_sharemap_create of the '
                    'first share (check, record, snapshot) %s ms, of each '
                    'further share (check, map into the snapshot) %s ms '
                    '(medians).' % (n, fmt(med(core.get('join_first', []))),
                                    fmt(je)))
                doc()
                if per is not None and je is not None:
                    # the best any module can do: one snapshot, plus
                    # Samba's own work per further shadow copy
                    samba = max(per - je, 0.0)
                    base = cb1 + (n - 1) * samba
                    doc('Against the best possible for one subvolume: '
                        'vfs_btrfs\'s one snapshot (%s ms) plus Samba\'s own '
                        'work for each further shadow copy of the set (%s ms '
                        '= the %s ms each adds over FSRVP minus rvss\'s %s ms '
                        'in-process), %s ms: rvss %s ms, **%s**.'
                        % (fmt(cb1), fmt(samba), fmt(per), fmt(je),
                           fmt(base), fmt(c1), ratio(c1, base)))
                    doc()
                    target = ('; vs one snapshot plus Samba\'s per-share work '
                              '%s ms: **%s**' % (fmt(base), ratio(c1, base)))
            headline.append('Set of %d shares of one subvolume: one snapshot, '
                            'Commit %s ms vs %s ms for one share on '
                            'vfs_btrfs (%s), %s ms per further share%s'
                            % (n, fmt(c1), fmt(cb1), ratio(c1, cb1),
                               fmt(per) if per is not None else 'n/a', target))
        if one and many:
            c1 = med(d[(one[0], 'commit')])
            cn = med(d[(many[0], 'commit')])
            n = many[0].split(':')[1].replace('subvol', '')
            s = ('Set of %s shares: Commit %s ms on one subvolume, %s ms on '
                 '%s subvolumes' % (n, fmt(c1), fmt(cn), n))
            if btr:
                cb = med(d[(btr[0], 'commit')])
                s += ' (vfs_btrfs on %s subvolumes %s ms, rvss/vfs_btrfs %s)' % (
                    n, fmt(cb), ratio(cn, cb))
            headline.append(s)
    r = read_jsonl(os.path.join(res, 'retained.jsonl'))
    lines = read_lines(os.path.join(res, 'retained.txt'))
    if r or lines:
        lists = collections.defaultdict(list)
        agent = []
        checks = collections.defaultdict(list)
        agent_lines = 0
        kv = {}
        for w in lines:
            if len(w) == 4 and w[1] == 'list':
                lists[w[0]].append((float(w[2]) / 1000.0, int(w[3])))
            elif len(w) == 3 and w[1] == 'check':
                checks[w[0]].append(float(w[2]) / 1000.0)
            elif w[0] == 'agent_list':
                agent.append(float(w[1]) / 1000.0)
                agent_lines = int(w[2])
            elif len(w) == 2:
                kv[w[0]] = w[1]
        n_ret = None
        for (l, _op) in r:
            if l.endswith('retained'):
                n_ret = l.split(':')[1].replace('retained', '')

        def c(label, op='commit'):
            return med(r.get(('rvss:' + label, op), []))

        doc('Retained snapshots: share rret\'s subvolume gets N read-only '
            'snapshots (rvss_snap_create with hourly time stamps, recorded '
            'as retained in the server\'s catalog); its twin rret0 (same '
            'tree, own subvolume) gets none.  FSRVP cycles alternate the '
            'two shares, before and after; medians, ms.  Catalog listing = '
            'open + rvss_catalog_list (median of 5).')
        doc()
        rows = [['before: no snapshots, empty catalog',
                 fmt(c('before')), fmt(c('before', 'delete')),
                 fmt(c('before-twin')), fmt(c('before-twin', 'delete'))],
                ['after: %s retained on rret, %s records in the catalog'
                 % (n_ret, n_ret),
                 fmt(c('%sretained' % n_ret)),
                 fmt(c('%sretained' % n_ret, 'delete')),
                 fmt(c('twin')), fmt(c('twin', 'delete'))]]
        doc.table(['', 'rret Commit', 'rret Delete', 'rret0 (twin) Commit',
                   'rret0 (twin) Delete'], rows)
        lrows = []
        for key in sorted(lists, key=lambda k: int(k.split('r')[0])):
            ls = lists[key]
            lrows.append([str(ls[0][1]), fmt(med([x for x, _ in ls]))])
        if agent:
            lrows.append(['`fsrvp_agent list` (%d lines)' % agent_lines,
                          fmt(med(agent))])
        doc.table(['catalog records', 'list (ms)'], lrows)
        if checks:
            doc('rvss_snap_check of rret (part of every Commit; median of 5): '
                + ', '.join('%s with %s retained snapshots' % (
                    fmt(med(checks[k])), k.replace('retained', ''))
                    for k in sorted(checks, key=lambda k: int(k.split('r')[0])))
                + ' (ms).')
            doc()
        core = collections.defaultdict(list)
        for w in read_lines(os.path.join(res, 'retained-core.txt')):
            if len(w) == 3:
                core[(w[0], w[1])].append(float(w[2]) / 1000.0)  # us -> ms
        if core:
            doc('In-process, alternating (bench/rvss_bench.c snap, after '
                'sync, cleaner settled): the subvolume with the retained '
                'snapshots (ret) and its twin (ret0); medians, ms.')
            doc()
            rows = []
            for what, name in (('rvss_check', 'rvss_snap_check'),
                               ('rvss', 'rvss_snap_create'),
                               ('ioctl', 'bare snapshot ioctl')):
                a_, b_ = med(core.get(('ret', what), [])), med(core.get(('ret0', what), []))
                rows.append([name, fmt(a_), fmt(b_), ratio(a_, b_)])
            doc.table(['', 'ret (%s retained)' % (n_ret or '?'), 'ret0 (twin)',
                       'ret/ret0'], rows)
        if 'fill_mean_us' in kv:
            doc('Creating the retained snapshots: %s ms per rvss_snap_create on '
                'average (%s ms in all); removing them with rvss_snap_delete: '
                '%s ms for %s.' % (fmt(float(kv['fill_mean_us']) / 1000.0),
                                  kv.get('fill_total_ms', '?'),
                                  kv.get('drain_total_ms', '?'),
                                  kv.get('drain_count', '?')))
            doc()
        if n_ret:
            c1 = c('%sretained' % n_ret)
            headline.append('Commit on a share whose subvolume holds %s retained '
                            'snapshots: %s ms vs %s ms on its twin without '
                            '(%s, alternating); before: %s vs %s ms'
                            % (n_ret, fmt(c1), fmt(c('twin')),
                               ratio(c1, c('twin')), fmt(c('before')),
                               fmt(c('before-twin'))))


FOCUSED = '## Focused runs'


def main():
    res, docs = sys.argv[1], sys.argv[2]
    os.makedirs(docs, exist_ok=True)
    doc = Doc()
    headline = []
    body = Doc()
    section_calls(body, res, headline)
    section_size(body, res, docs, headline)
    section_vm(body, res, headline)
    section_scale(body, res, headline)
    body('## 5. fsrvp_agent check vs find')
    body()
    cf = os.path.join(res, 'check_vs_find.txt')
    if os.path.exists(cf):
        body('Output of bench/check_vs_find.sh:')
        body()
        body('```')
        with open(cf) as f:
            body(f.read().rstrip())
        body('```')
    else:
        body('Not measured in this run (bench/check_vs_find.sh absent).')
    body()

    body('## 6. Commit vs nested subvolumes')
    body()
    nf = os.path.join(res, 'nested', 'nested.txt')
    if os.path.exists(nf):
        body('Output of bench/nested.sh (`make bench-nested` runs it alone):')
        body()
        with open(nf) as f:
            body(f.read().rstrip())
    else:
        body('Not measured in this run (bench/nested.sh failed or absent).')
    body()
    sf = os.path.join(res, 'send.md')
    if os.path.exists(sf):
        with open(sf) as f:
            body(f.read().rstrip())
    else:
        body('## 7. Off-box copies: fsrvp_agent send vs a full send vs rsync')
        body()
        body('Not measured in this run (bench/send.sh failed or absent).')
    body()

    doc('# rvss benchmarks')
    doc()
    doc('Generated by `make bench` (bench/run.sh); regenerated on every run, '
        'do not edit by hand (except the last section, "Focused runs", which '
        'is kept).  Figures and ratios, no pass/fail.')
    doc()
    doc('## Machine')
    doc()
    mach = read_lines(os.path.join(res, 'machine.txt'))
    with open(os.path.join(res, 'machine.txt')) as f:
        rows = [l.rstrip('\n').split(': ', 1) for l in f if ': ' in l]
    doc.table(['', ''], [[k, v] for k, v in rows])
    del mach
    doc('## Headline')
    doc()
    for h in headline:
        doc('- ' + h)
    doc()
    doc.lines += body.lines
    notes = os.path.join(res, 'notes.txt')
    if os.path.exists(notes):
        doc('## Notes of this run')
        doc()
        with open(notes) as f:
            for l in f:
                doc('- ' + l.rstrip())
        doc()
    text = doc.text()
    # A section "## Focused runs" (partial runs, RVSS_BENCH_PARTS, with the
    # commands that made them) is written by hand and kept across runs.
    out = os.path.join(docs, 'benchmarks.md')
    if os.path.exists(out):
        with open(out) as f:
            old = f.read()
        at = old.find('\n' + FOCUSED)
        if at >= 0:
            text += old[at:]
    with open(out, 'w') as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == '__main__':
    main()
