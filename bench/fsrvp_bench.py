#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""fsrvp_bench — time each FSRVP call over one persistent RPC connection.

Uses tests/fsrvp_step.py's FsrvpClient (hand-marshalled NDR over
samba.dcerpc.base.ClientConnection), so it must run under Debian's
/usr/bin/python3.  Each timed figure is the wall time of one
ClientConnection.request() round trip plus the few microseconds of
marshalling in fsrvp_step.py: what a requester sees, minus its own
start-up.  Prints one JSON object per sample:
    {"label": L, "op": OP, "ms": 1.234, "cycle": N}
bench/report.py turns them into medians, p95 and ratios.  Nothing here
judges a figure.

  cycles --shares A,B --labels a,b --n 30 [--warmup 3] [--context CTX]
      N cycles per share, alternating the shares each cycle (A B, B A, ...):
      SetContext, Start, Add, Prepare, Commit*, Expose*, GetShareMapping,
      RecoveryComplete*, DeleteShareMapping* (* = timed and reported).
  set --shares S1,S2,... --label L --n R [--context CTX]
      R times: one set holding every share; Add (add_all*, the sum), Commit*, Expose*,
      RecoveryComplete*, then DeleteShareMapping of each share (delete_all*,
      the sum; delete_each* per share).

Copyright (C) rvss authors.  GPL-3.0-or-later.
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests'))
import fsrvp_step  # noqa: E402  (tests/fsrvp_step.py)

OK = '0x00000000'


class BenchError(Exception):
    pass


def timed(fn, *args):
    t0 = time.perf_counter_ns()
    r = fn(*args)
    ms = (time.perf_counter_ns() - t0) / 1e6
    if r.get('hresult') != OK:
        raise BenchError('%s%r: %s %s' % (r.get('op'), args, r.get('hresult'),
                                          r.get('hresult_name')))
    return r, ms


def settle(path):
    """Between cycles (untimed): let btrfs's cleaner finish the deleted
    snapshots, so its work does not land in the next cycle's figures.
    `btrfs filesystem sync` wakes the cleaner (else it waits for the next
    30 s commit)."""
    if path:
        subprocess.check_call(['btrfs', 'filesystem', 'sync', path],
                              stdout=subprocess.DEVNULL)
        subprocess.check_call(['btrfs', 'subvolume', 'sync', path],
                              stdout=subprocess.DEVNULL)


def emit(label, op, ms, cycle, **extra):
    d = {'label': label, 'op': op, 'ms': round(ms, 4), 'cycle': cycle}
    d.update(extra)
    print(json.dumps(d), flush=True)


def one_cycle(c, ctx, share, label, cycle, record):
    timed(c.set_context, ctx)
    r, _ = timed(c.start_shadow_copy_set)
    set_id = r['set_id']
    r, _ = timed(c.add_to_shadow_copy_set, set_id, share)
    sc_id = r['sc_id']
    timed(c.prepare_shadow_copy_set, set_id)
    _, ms_commit = timed(c.commit_shadow_copy_set, set_id)
    _, ms_expose = timed(c.expose_shadow_copy_set, set_id)
    timed(c.get_share_mapping, set_id, sc_id, share)
    _, ms_recovery = timed(c.recovery_complete_shadow_copy_set, set_id)
    _, ms_delete = timed(c.delete_share_mapping, set_id, sc_id, share)
    if record:
        emit(label, 'commit', ms_commit, cycle)
        emit(label, 'expose', ms_expose, cycle)
        emit(label, 'recovery', ms_recovery, cycle)
        emit(label, 'delete', ms_delete, cycle)


def cmd_cycles(c, a):
    shares = a.shares.split(',')
    labels = a.labels.split(',') if a.labels else shares
    if len(labels) != len(shares):
        raise BenchError('--labels must name each share')
    ctx = fsrvp_step.parse_context(a.context)
    pairs = list(zip(shares, labels))
    for i in range(a.warmup + a.n):
        order = pairs if i % 2 == 0 else list(reversed(pairs))
        for share, label in order:
            one_cycle(c, ctx, share, label, i - a.warmup, i >= a.warmup)
            settle(a.settle)
            if a.pause:
                time.sleep(a.pause)


def cmd_set(c, a):
    shares = a.shares.split(',')
    ctx = fsrvp_step.parse_context(a.context)
    for i in range(a.warmup + a.n):
        rec = i >= a.warmup
        timed(c.set_context, ctx)
        r, _ = timed(c.start_shadow_copy_set)
        set_id = r['set_id']
        scs = []
        ms_add = 0.0
        for s in shares:
            r, ms = timed(c.add_to_shadow_copy_set, set_id, s)
            ms_add += ms
            scs.append(r['sc_id'])
        timed(c.prepare_shadow_copy_set, set_id)
        _, ms_commit = timed(c.commit_shadow_copy_set, set_id)
        _, ms_expose = timed(c.expose_shadow_copy_set, set_id)
        _, ms_recovery = timed(c.recovery_complete_shadow_copy_set, set_id)
        total = 0.0
        each = []
        for s, sc in zip(shares, scs):
            _, ms = timed(c.delete_share_mapping, set_id, sc, s)
            total += ms
            each.append(ms)
        if rec:
            n = i - a.warmup
            emit(a.label, 'add_all', ms_add, n, shares=len(shares))
            emit(a.label, 'commit', ms_commit, n, shares=len(shares))
            emit(a.label, 'expose', ms_expose, n, shares=len(shares))
            emit(a.label, 'recovery', ms_recovery, n, shares=len(shares))
            emit(a.label, 'delete_all', total, n, shares=len(shares))
            for ms in each:
                emit(a.label, 'delete_each', ms, n, shares=len(shares))
        settle(a.settle)
        if a.pause:
            time.sleep(a.pause)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('-s', '--conf', required=True)
    p.add_argument('-p', '--port', type=int, required=True)
    p.add_argument('-U', '--creds', required=True)
    p.add_argument('--host', default='127.0.0.1')
    sub = p.add_subparsers(dest='cmd', required=True)
    pc = sub.add_parser('cycles')
    pc.add_argument('--shares', required=True)
    pc.add_argument('--labels')
    ps = sub.add_parser('set')
    ps.add_argument('--shares', required=True)
    ps.add_argument('--label', required=True)
    for q in (pc, ps):
        q.add_argument('--n', type=int, default=30)
        q.add_argument('--warmup', type=int, default=2)
        q.add_argument('--context', default='backup')
        q.add_argument('--settle', metavar='MNT',
                       help='wait for btrfs\'s cleaner on MNT between cycles')
        q.add_argument('--pause', type=float, default=0.0,
                       help='seconds between cycles (vfs_btrfs names '
                       'snapshots by the second)')
    a = p.parse_args(argv)
    c = fsrvp_step.FsrvpClient(a.host, a.port, a.creds, conf=a.conf)
    try:
        {'cycles': cmd_cycles, 'set': cmd_set}[a.cmd](c, a)
    except BenchError as e:
        print('fsrvp_bench: %s' % e, file=sys.stderr)
        return 1
    finally:
        c.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
