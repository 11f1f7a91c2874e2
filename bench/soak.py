#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""soak — the drivers of bench/soak.sh and bench/crash.sh.

Uses tests/fsrvp_step.py's FsrvpClient (one long-lived RPC connection per
requester), so it must run under Debian's /usr/bin/python3.  Judges no
timing: a figure is printed, never compared.  Exit status 1 means a leak or
a corruption (or a server that answered an FSRVP call with an error the
soak does not expect), 2 a usage or set-up error.

  writer --file F --rate R --stop S --count-file C
      appends checksummed records "SEQ SHA256(PAYLOAD) PAYLOAD\\n" to F (one
      write(2) each, fsync every 10) about R a second, until S exists; writes
      the number of records to C.
  verify-log --file F --count N
      every record intact and in order, exactly N of them.
  soak --conf C --port P --user U%P --smbd-pid PID --pid-dir D --mnt M
       --agent A --requester SHARE:STORE[:LOG] ... --cycles N --every K
       [--same-second-guard] [--mode mixed|ro] [--tag T]
      N FSRVP cycles in all, split between the requesters (one process and
      one connection each, running at the same time); a sample of the
      server's processes and state every K cycles, printed as JSON lines.
  sample ...        one sample now (same options as soak).
  crash --conf C ... --iterations N
      the crash-consistency loop of bench/crash.sh.

Copyright (C) rvss authors.  GPL-3.0-or-later.
"""

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import signal
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests'))
import fsrvp_step  # noqa: E402  (tests/fsrvp_step.py)

OK = '0x00000000'
IN_PROGRESS = '0x80042316'
SMBD = '/usr/sbin/smbd'
DCERPCD = '/usr/libexec/samba/samba-dcerpcd'
RPCD_FSRVP = '/usr/libexec/samba/rpcd_fsrvp'


class SoakError(Exception):
    """A leak, a corruption, or an FSRVP error the soak does not expect."""


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ------------------------------------------------------------ the writer

def record(seq):
    payload = ('%08d-' % seq) + hashlib.sha1(str(seq).encode()).hexdigest() * 2
    return '%d %s %s\n' % (seq, hashlib.sha256(payload.encode()).hexdigest(),
                           payload)


def parse_records(data, allow_torn_tail):
    """The records of a log (bytes): list of seq; raises SoakError on a
    damaged record, a gap, or (unless allowed) a torn last record."""
    seqs = []
    lines = data.split(b'\n')
    tail = lines.pop()          # after the last '\n': '' or a torn record
    if tail and not allow_torn_tail:
        raise SoakError('torn last record: %r' % tail[:80])
    for n, line in enumerate(lines, 1):
        try:
            s, digest, payload = line.decode().split(' ', 2)
            seq = int(s)
        except ValueError:
            raise SoakError('record %d unparsable: %r' % (n, line[:80]))
        if hashlib.sha256(payload.encode()).hexdigest() != digest:
            raise SoakError('record %d (seq %d): checksum mismatch' % (n, seq))
        if seq != n:
            raise SoakError('record %d has seq %d (gap or reorder)' % (n, seq))
        seqs.append(seq)
    return seqs


def cmd_writer(a):
    stop = False

    def on_term(signum, frame):
        nonlocal stop
        stop = True
    signal.signal(signal.SIGTERM, on_term)
    fd = os.open(a.file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    seq = 0
    period = 1.0 / a.rate
    t_next = time.monotonic()
    while not stop and not os.path.exists(a.stop):
        seq += 1
        data = record(seq).encode()
        if os.write(fd, data) != len(data):
            raise SoakError('short write')
        if seq % 10 == 0:
            os.fsync(fd)
        with open(a.count_file + '.tmp', 'w') as f:
            f.write('%d\n' % seq)
        os.replace(a.count_file + '.tmp', a.count_file)
        t_next += period
        d = t_next - time.monotonic()
        if d > 0:
            time.sleep(d)
    os.fsync(fd)
    os.close(fd)
    with open(a.count_file, 'w') as f:
        f.write('%d\n' % seq)
    return 0


def cmd_verify_log(a):
    with open(a.file, 'rb') as f:
        data = f.read()
    try:
        seqs = parse_records(data, allow_torn_tail=False)
    except SoakError as e:
        print('live log %s: CORRUPT: %s' % (a.file, e))
        return 1
    if len(seqs) != a.count:
        print('live log %s: %d records, the writer wrote %d' %
              (a.file, len(seqs), a.count))
        return 1
    print('live log %s: %d records, every checksum right, in order, '
          'as the writer wrote them' % (a.file, len(seqs)))
    return 0


# ------------------------------------------------------------ processes

def proc_table():
    t = {}
    for d in os.listdir('/proc'):
        if not d.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % d) as f:
                line = f.read()
            exe = os.readlink('/proc/%s/exe' % d)
        except OSError:
            continue
        rest = line[line.rindex(')') + 2:].split()
        if rest[0] == 'Z':
            continue
        t[int(d)] = {'ppid': int(rest[1]), 'sid': int(rest[3]), 'exe': exe}
    return t


def our_pids(smbd_pid, pid_dir):
    """As lib.sh's our_pids: smbd, its session, the private pid files, and
    their descendants."""
    t = proc_table()
    seeds = set()
    if smbd_pid in t:
        seeds.add(smbd_pid)
    for f in os.listdir(pid_dir):
        if f.endswith('.pid'):
            try:
                p = int(open(os.path.join(pid_dir, f)).read().strip() or 0)
            except (OSError, ValueError):
                continue
            if p in t:
                seeds.add(p)
    changed = True
    while changed:
        changed = False
        for p, i in t.items():
            if p in seeds:
                continue
            if i['sid'] == smbd_pid or i['ppid'] in seeds:
                seeds.add(p)
                changed = True
    return {p: t[p] for p in seeds}


def rss_kb(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def smaps_split(pid):
    """Where a process's resident memory is: the malloc heap (talloc
    lives there), tdb files mapped (Samba maps its tdbs), the rest."""
    out = {'heap': 0, 'tdb': 0, 'other': 0}
    cur = 'other'
    try:
        with open('/proc/%d/smaps' % pid) as f:
            for line in f:
                w = line.split()
                if not w:
                    continue
                if '-' in w[0] and len(w) >= 5 and not w[0].endswith(':'):
                    name = w[5] if len(w) > 5 else ''
                    if name == '[heap]':
                        cur = 'heap'
                    elif name.endswith('.tdb') or '.tdb' in name:
                        cur = 'tdb'
                    else:
                        cur = 'other'
                elif w[0] == 'Rss:':
                    out[cur] += int(w[1])
    except OSError:
        return None
    return out


def nfds(pid):
    try:
        return len(os.listdir('/proc/%d/fd' % pid))
    except OSError:
        return None


def rpcd_fsrvp_pids(smbd_pid, pid_dir):
    return sorted(p for p, i in our_pids(smbd_pid, pid_dir).items()
                  if i['exe'] == RPCD_FSRVP)


# ------------------------------------------------------------ state

def subvolumes(mnt):
    out = subprocess.check_output(['btrfs', 'subvolume', 'list', mnt],
                                  text=True)
    return sorted(os.path.join(mnt, l.split(' path ', 1)[1])
                  for l in out.splitlines() if ' path ' in l)


def catalog(agent, conf):
    for _ in range(50):
        r = subprocess.run([agent, 'list', '-s', conf, '--json'],
                           capture_output=True, text=True)
        # Samba's srv_fss.tdb caught in its rewrite: read again
        if r.returncode == 0 or "Samba's FSRVP state" not in r.stderr:
            break
        time.sleep(0.05)
    if r.returncode != 0:
        if 'no rvss snapshots' in r.stdout:
            return []
        raise SoakError('fsrvp_agent list --json: rc %d: %s %s' %
                        (r.returncode, r.stdout[-300:], r.stderr[-300:]))
    return json.loads(r.stdout)


def fss_sets(lock_dir):
    """Sets in Samba's srv_fss.tdb ({set_id: [sc_id, ...]}); None when
    the file is being rewritten (Samba wipes it before its transaction)."""
    import tdb
    path = os.path.join(lock_dir, 'srv_fss.tdb')
    if not os.path.exists(path):
        return {}
    for _ in range(20):
        try:
            db = tdb.Tdb(path, 0, tdb.DEFAULT, os.O_RDONLY)
            sets = {}
            ver = count = None
            for k in db.keys():
                key = k.rstrip(b'\0').decode()
                parts = key.split('/')
                if len(parts) == 2 and parts[0] == 'sc_set':
                    sets.setdefault(parts[1].strip('{}'), [])
                elif len(parts) == 4 and parts[2] == 'sc':
                    sets.setdefault(parts[1].strip('{}'), []).append(
                        parts[3].strip('{}'))
                elif key == 'db_version':
                    ver = True
                elif key == 'sc_set_count':
                    count = struct.unpack('<I', db.get(k)[:4])[0]
            db.close()
            # Samba writes the wipe and the version before its transaction:
            # a whole file has the version and as many sets as it counts
            if ver and count == len(sets):
                return sets
        except Exception:
            pass
        time.sleep(0.05)
    return None


def take_sample(a, cycle, t0, extra=None):
    procs = our_pids(a.smbd_pid, a.pid_dir)
    s = {'cycle': cycle, 't': round(time.monotonic() - t0, 2)}
    smbd_children = []
    for p, i in sorted(procs.items()):
        if i['exe'] == SMBD and p == a.smbd_pid:
            s['smbd_rss_kb'] = rss_kb(p)
            s['smbd_fds'] = nfds(p)
        elif i['exe'] == SMBD:
            smbd_children.append(p)
        elif i['exe'] == DCERPCD:
            s['dcerpcd_rss_kb'] = rss_kb(p)
            s['dcerpcd_fds'] = nfds(p)
        elif i['exe'] == RPCD_FSRVP:
            s['fsrvp_pid'] = p
            s['fsrvp_rss_kb'] = rss_kb(p)
            s['fsrvp_fds'] = nfds(p)
            sp = smaps_split(p)
            if sp:
                s['fsrvp_heap_kb'] = sp['heap']
                s['fsrvp_tdb_kb'] = sp['tdb']
    s['smbd_children'] = len(smbd_children)
    s['smbd_children_rss_kb'] = sum(rss_kb(p) or 0 for p in smbd_children)
    s['smbd_children_fds'] = sum(nfds(p) or 0 for p in smbd_children)
    s['subvolumes'] = len(subvolumes(a.mnt))
    for n, d in (('srv_fss_tdb_kb', a.lock_dir),
                 ('registry_tdb_kb', os.path.join(a.lock_dir, '..', 'state'))):
        f = os.path.join(d, 'srv_fss.tdb' if n.startswith('srv') else
                         'registry.tdb')
        try:
            s[n] = os.stat(f).st_size // 1024
        except OSError:
            pass
    if a.agent:
        recs = catalog(a.agent, a.conf)
        s['catalog'] = len(recs)
        s['retained'] = sum(1 for r in recs if r.get('state') == 'retained')
    sets = fss_sets(a.lock_dir)
    s['fss_sets'] = None if sets is None else len(sets)
    if extra:
        s.update(extra)
    return s


# ------------------------------------------------------------ the requester

def call(c, fn, *args):
    r = fn(*args)
    if r.get('hresult') != OK:
        raise SoakError('%s%r: %s %s' % (r.get('op'), args, r.get('hresult'),
                                         r.get('hresult_name')))
    return r


def store_entries(store):
    out = set()
    for d in (store, os.path.join(store, '.writable')):
        try:
            for n in os.listdir(d):
                if n.startswith('@GMT-'):
                    out.add(os.path.join(d, n))
        except FileNotFoundError:
            pass
    return out


def check_snapshot_log(snap, live_log, rel):
    """The snapshot's copy of the writer's log is a prefix of the live log,
    of intact records (a torn last record is what a crash at that instant
    would leave; it must still be a prefix)."""
    with open(os.path.join(snap, rel), 'rb') as f:
        data = f.read()
    parse_records(data, allow_torn_tail=True)
    with open(live_log, 'rb') as f:
        live = f.read(len(data))
    if live != data:
        raise SoakError('%s/%s is not a prefix of the live log' % (snap, rel))
    return data.count(b'\n')


SMB_EVERY = 0
SMB_ARGS = None


def smb_read_check(exposed, snap, rel):
    """Read the writer's log through the exposed share with smbclient
    (smbd and rvss's VFS functions on the exposed share at work) and
    compare it with the snapshot's copy."""
    import tempfile
    name = exposed.replace('/', '\\').split('\\')[-1]
    conf, port, user = SMB_ARGS
    with tempfile.NamedTemporaryFile(prefix='soak-smb-') as tmp:
        r = subprocess.run(['smbclient', '-s', conf, '-p', str(port),
                            '//127.0.0.1/' + name, '-U', user, '-c',
                            'get "%s" "%s"' % (rel.replace('/', '\\'),
                                               tmp.name)],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise SoakError('smbclient get from %s: %s' %
                            (name, (r.stdout + r.stderr)[-300:]))
        with open(tmp.name, 'rb') as f:
            got = f.read()
    with open(os.path.join(snap, rel), 'rb') as f:
        want = f.read()
    if got != want:
        raise SoakError('%s read over SMB from %s differs from the snapshot'
                        % (rel, name))


def one_cycle(c, share, rw, st, guard):
    """SetContext, Start, Add, Prepare, Commit, Expose, GetShareMapping,
    [check the snapshot], [RecoveryComplete], DeleteShareMapping.  Start
    is retried while the other requester's set is in progress (Samba
    allows one set at a time in that state)."""
    ctx = fsrvp_step.parse_context('file_share_backup,rw' if rw else 'backup')
    while True:
        # Samba keeps the context in one global of rpcd_fsrvp, not per
        # connection, and RecoveryComplete clears it: another requester's
        # SetContext or RecoveryComplete between our SetContext and Start
        # gives our set its context, or FSRVP_E_BAD_STATE.  The two
        # requesters take turns for these calls (CTX_LOCK).
        with CTX_LOCK:
            call(c, c.set_context, ctx)
            r = c.start_shadow_copy_set()
        if r['hresult'] == OK:
            break
        if r['hresult'] != IN_PROGRESS:
            raise SoakError('start: %s %s' % (r['hresult'], r['hresult_name']))
        st['busy'] += 1
        time.sleep(random.uniform(0.001, 0.01))
    set_id = r['set_id']
    sc_id = call(c, c.add_to_shadow_copy_set, set_id, share['name'])['sc_id']
    call(c, c.prepare_shadow_copy_set, set_id)
    before = store_entries(share['store']) if share.get('log') else None
    if guard:
        # vfs_btrfs names snapshots by the second: never two commits of
        # one subvolume in the same second
        while int(time.time()) == share.get('last_commit_s'):
            time.sleep(0.02)
    call(c, c.commit_shadow_copy_set, set_id)
    share['last_commit_s'] = int(time.time())
    call(c, c.expose_shadow_copy_set, set_id)
    m = call(c, c.get_share_mapping, set_id, sc_id, share['name'])
    if not m.get('exposed_share'):
        raise SoakError('no exposed share for %s' % sc_id)
    if before is not None:
        new = store_entries(share['store']) - before
        if len(new) != 1:
            raise SoakError('commit of %s: %d new store entries %r' %
                            (share['name'], len(new), sorted(new)))
        snap = new.pop()
        st['records_seen'] = check_snapshot_log(snap, share['log'],
                                                share['log_rel'])
        st['checked'] += 1
        st['n'] = st.get('n', 0) + 1
        if SMB_EVERY and st['n'] % SMB_EVERY == 0:
            smb_read_check(m['exposed_share'], snap, share['log_rel'])
            st['smb_reads'] = st.get('smb_reads', 0) + 1
    if rw:
        with CTX_LOCK:
            call(c, c.recovery_complete_shadow_copy_set, set_id)
    call(c, c.delete_share_mapping, set_id, sc_id, share['name'])


CTX_LOCK = None


def requester(idx, a, spec, n, counter, errq, finish, ctx_lock):
    global CTX_LOCK, SMB_EVERY, SMB_ARGS
    CTX_LOCK = ctx_lock
    SMB_EVERY = a.smb_every
    SMB_ARGS = (a.conf, a.port, a.user)
    random.seed(a.seed * 1000 + idx)
    shares = []
    for sp in spec:
        f = sp.split(':')
        sh = {'name': f[0], 'store': f[1] if len(f) > 1 else ''}
        if len(f) > 2 and f[2]:
            sh['log'] = f[2]
            sh['log_rel'] = os.path.relpath(f[2], f[3])
        shares.append(sh)
    st = {'busy': 0, 'checked': 0, 'records_seen': 0, 'rw': 0, 'ro': 0}
    try:
        c = fsrvp_step.FsrvpClient('127.0.0.1', a.port, a.user, conf=a.conf)
        for i in range(n):
            rw = a.mode == 'mixed' and random.random() < 0.5
            st['rw' if rw else 'ro'] += 1
            one_cycle(c, shares[i % len(shares)], rw, st,
                      a.same_second_guard)
            with counter.get_lock():
                counter.value += 1
        # keep the connection until the last sample is taken: the curve's
        # last point then has the same processes as the others
        finish.wait(120)
        c.close()
    except Exception as e:
        finish.set()
        errq.put('requester %d (%s): %s: %s' % (idx, spec[0],
                                                type(e).__name__, e))
        return
    errq.put(json.dumps({'requester': idx, 'shares': spec, **st}))


def cmd_soak(a):
    reqs = [r.split(',') for r in a.requester]
    counter = multiprocessing.Value('i', 0)
    errq = multiprocessing.Queue()
    finish = multiprocessing.Event()
    ctx_lock = multiprocessing.Lock()
    per = [a.cycles // len(reqs)] * len(reqs)
    per[0] += a.cycles - sum(per)
    # One call first, alone: smbd starts samba-dcerpcd on demand, and two
    # connections arriving at once on a server that has none each started
    # one (log.samba-dcerpcd: "started" twice); one requester then hung
    # for 60 s (NT_STATUS_IO_TIMEOUT) on its first call.
    w = fsrvp_step.FsrvpClient('127.0.0.1', a.port, a.user, conf=a.conf)
    call(w, w.get_supported_version)
    w.close()
    t0 = time.monotonic()
    samples = [take_sample(a, 0, t0, {'tag': a.tag})]
    print(json.dumps(samples[-1]), flush=True)
    ps = [multiprocessing.Process(target=requester,
                                  args=(i, a, reqs[i], per[i], counter, errq,
                                        finish, ctx_lock))
          for i in range(len(reqs))]
    for p in ps:
        p.start()
    nxt = a.every
    try:
        while any(p.is_alive() for p in ps):
            if counter.value >= a.cycles and not finish.is_set():
                if samples[-1]['cycle'] != counter.value:
                    samples.append(take_sample(a, counter.value, t0,
                                               {'tag': a.tag}))
                    print(json.dumps(samples[-1]), flush=True)
                finish.set()
            if counter.value >= nxt and not finish.is_set():
                samples.append(take_sample(a, counter.value, t0,
                                           {'tag': a.tag}))
                print(json.dumps(samples[-1]), flush=True)
                nxt += a.every
            time.sleep(0.02)
    finally:
        for p in ps:
            if p.is_alive() and sys.exc_info()[0] is not None:
                p.terminate()
            p.join()
    rc = 0
    while not errq.empty():
        m = errq.get()
        if m.startswith('{'):
            d = json.loads(m)
            d['tag'] = a.tag
            print(json.dumps(d), flush=True)
        else:
            log('FAIL: ' + m)
            print(json.dumps({'error': m, 'tag': a.tag}), flush=True)
            rc = 1
    print(json.dumps({'done': counter.value, 'seconds':
                      round(time.monotonic() - t0, 2), 'tag': a.tag}),
          flush=True)
    return rc


def cmd_sample(a):
    print(json.dumps(take_sample(a, a.cycle, time.monotonic(),
                                 {'tag': a.tag})))
    return 0


# ------------------------------------------------------------ the report

def slope(xs, ys):
    """Least-squares slope of ys over xs (None with fewer than 2 points)."""
    pts = [(x, y) for x, y in zip(xs, ys) if y is not None]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    den = sum((x - mx) ** 2 for x, _ in pts)
    if den == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in pts) / den


def cmd_report(a):
    """Curve table and slopes from the JSON lines of one or more runs."""
    runs = {}
    for fn in a.files:
        with open(fn) as f:
            for line in f:
                line = line.strip()
                if not line.startswith('{'):
                    continue
                d = json.loads(line)
                if 'cycle' in d:
                    runs.setdefault(d.get('tag', fn), []).append(d)
    for tag, ss in runs.items():
        print('\n### %s\n' % tag)
        cols = ['cycle', 't', 'fsrvp_pid', 'fsrvp_rss_kb', 'fsrvp_heap_kb',
                'fsrvp_tdb_kb', 'fsrvp_fds',
                'smbd_rss_kb', 'smbd_fds', 'smbd_children',
                'smbd_children_rss_kb', 'smbd_children_fds', 'dcerpcd_rss_kb',
                'subvolumes', 'catalog', 'retained', 'fss_sets',
                'srv_fss_tdb_kb', 'registry_tdb_kb']
        cols = [c for c in cols if any(c in s for s in ss)]
        print('| ' + ' | '.join(cols) + ' |')
        print('|' + '---|' * len(cols))
        for s in ss:
            print('| ' + ' | '.join(str(s.get(c, '')) for c in cols) + ' |')
        # slopes past the warm-up (first sample after cycle 0 onwards)
        tail = [s for s in ss if s['cycle'] >= a.warmup]
        xs = [s['cycle'] for s in tail]
        print()
        for c in ('fsrvp_rss_kb', 'fsrvp_heap_kb', 'fsrvp_tdb_kb',
                  'fsrvp_fds', 'smbd_rss_kb', 'smbd_fds',
                  'smbd_children_rss_kb', 'smbd_children_fds'):
            if not any(c in s for s in tail):
                continue
            k = slope(xs, [s.get(c) for s in tail])
            if k is None:
                continue
            unit = 'bytes' if c.endswith('_kb') else 'fds'
            val = k * 1024 if c.endswith('_kb') else k
            first = tail[0].get(c)
            last = tail[-1].get(c)
            print('- %s: %s -> %s; slope %.1f %s/cycle over cycles %d..%d' %
                  (c, first, last, val, unit, xs[0], xs[-1]))
        pids = sorted({s.get('fsrvp_pid') for s in ss if s.get('fsrvp_pid')})
        print('- rpcd_fsrvp PIDs seen: %s' % ', '.join(map(str, pids)))
    return 0


# ------------------------------------------------------------ crash

class Crash(object):
    def __init__(self, a):
        self.a = a
        self.c = None

    def client(self):
        if self.c is None:
            self.c = fsrvp_step.FsrvpClient('127.0.0.1', self.a.port,
                                            self.a.user, conf=self.a.conf)
        return self.c

    def drop(self):
        if self.c is not None:
            self.c.close()
        self.c = None


def cmd_crash_iter(a):
    """One crash: prepare (for a Delete: a set created, exposed and for rw
    recovered), then the victim call in a thread, kill -9 of rpcd_fsrvp
    after a random delay, and the outcome as one JSON line."""
    random.seed(a.seed)
    op = a.op
    rw = a.rw
    share = a.share
    out = {'op': op, 'rw': rw, 'share': share}
    c = fsrvp_step.FsrvpClient('127.0.0.1', a.port, a.user, conf=a.conf)
    ctx = fsrvp_step.parse_context('file_share_backup,rw' if rw else 'backup')
    for _ in range(200):
        call(c, c.set_context, ctx)
        r = c.start_shadow_copy_set()
        if r['hresult'] == OK:
            break
        if r['hresult'] != IN_PROGRESS:
            raise SoakError('start: %s' % r['hresult_name'])
        time.sleep(0.05)
    else:
        out['blocked_at_start'] = True
        print(json.dumps(out), flush=True)
        return 0
    set_id = r['set_id']
    sc_id = call(c, c.add_to_shadow_copy_set, set_id, share)['sc_id']
    call(c, c.prepare_shadow_copy_set, set_id)
    if op == 'commit':
        victim = (c.commit_shadow_copy_set, set_id)
    else:
        call(c, c.commit_shadow_copy_set, set_id)
        call(c, c.expose_shadow_copy_set, set_id)
        call(c, c.get_share_mapping, set_id, sc_id, share)
        if rw:
            call(c, c.recovery_complete_shadow_copy_set, set_id)
        victim = (c.delete_share_mapping, set_id, sc_id, share)
    out['set_id'] = set_id
    out['sc_id'] = sc_id
    pids = rpcd_fsrvp_pids(a.smbd_pid, a.pid_dir)
    if len(pids) != 1:
        raise SoakError('expected one rpcd_fsrvp, found %r' % pids)
    delay = random.uniform(0, a.max_delay_ms) / 1000.0
    out['delay_ms'] = round(delay * 1000, 2)
    # The killer is a process of its own: the Python binding holds the GIL
    # during the whole blocking request, so a thread of ours could not
    # wake up before the call had answered.
    r_pipe, w_pipe = os.pipe()
    killer = os.fork()
    if killer == 0:
        os.close(w_pipe)
        os.read(r_pipe, 1)      # go: the call is about to be sent
        time.sleep(delay)
        try:
            os.kill(pids[0], signal.SIGKILL)
        except OSError:
            pass
        os._exit(0)
    os.close(r_pipe)
    t = time.perf_counter()
    os.write(w_pipe, b'x')
    os.close(w_pipe)
    try:
        res = victim[0](*victim[1:])
        err = None
    except Exception as e:
        res, err = None, str(e)
    out['call_ms'] = round((time.perf_counter() - t) * 1000, 2)
    os.waitpid(killer, 0)
    # inside: the call had not answered when the kill came (it failed)
    out['inside'] = res is None
    if res is not None:
        out['hresult'] = res.get('hresult_name')
    if err is not None:
        out['error'] = err[:120]
    print(json.dumps(out), flush=True)
    return 0


def cmd_new_set(a):
    """A new set works: create, expose, delete, on a fresh connection.
    Prints {"ok": true} or {"ok": false, "hresult": ...}."""
    c = fsrvp_step.FsrvpClient('127.0.0.1', a.port, a.user, conf=a.conf)
    r = c.create_expose(fsrvp_step.parse_context('backup'), a.share)
    if r['hresult'] != OK:
        print(json.dumps({'ok': False, 'hresult': r['hresult_name'],
                          'step': r.get('failed_step')}))
        if r.get('set_id') and r.get('failed_step') not in ('start',
                                                            'set_context'):
            c.abort_shadow_copy_set(r['set_id'])
        return 0
    d = c.delete_share_mapping(r['set_id'], r['sc_id'], a.share)
    print(json.dumps({'ok': d['hresult'] == OK, 'delete': d['hresult_name']}))
    return 0


def cmd_crash_check(a):
    """After an iteration's gc: orphans (a subvolume of ours that the
    catalog does not name, or a record whose subvolume is gone), retained
    backups lost (one of the previous list gone although fewer than
    --retain newer ones replace it), and the retained list for the next
    iteration.  One JSON line."""
    base = set(open(a.base_subvols).read().split())
    subs = set(subvolumes(a.mnt)) - base
    recs = catalog(a.agent, a.conf)
    paths = {r['snapshot'] for r in recs}
    orphans = sorted(subs - paths) + sorted(
        p for p in paths - subs
        if not any(r['snapshot'] == p and r['state'] == 'creating'
                   for r in recs))
    creating = sorted(r['snapshot'] for r in recs if r['state'] == 'creating')
    ret = sorted((r for r in recs if r['state'] == 'retained'
                  and r['share'] == a.retain_share),
                 key=lambda r: (r['created'], r['name']))
    now = [r['snapshot'] for r in ret]
    prev = []
    if os.path.exists(a.prev):
        prev = [l for l in open(a.prev).read().split('\n') if l]
    lost = []
    for i, p in enumerate(prev):
        if p in now:
            continue
        # pruned by count: the policy keeps the newest --retain, so an old
        # one may go only when --retain newer ones are kept
        older_kept = [q for q in now if q in prev[:i]]
        if len(now) < a.retain or older_kept:
            lost.append(p)
    not_ro = []
    for p in now:
        if p not in subs:
            continue
        out = subprocess.run(['btrfs', 'property', 'get', '-ts', p, 'ro'],
                             capture_output=True, text=True).stdout.strip()
        if out != 'ro=true':
            not_ro.append(p)
    with open(a.prev, 'w') as f:
        f.write(''.join(p + '\n' for p in now))
    other = sorted('%s %s %s' % (r['snapshot'], r['share'], r['state'])
                   for r in recs if r['state'] != 'retained')
    print(json.dumps({'orphans': orphans, 'lost': lost, 'retained': len(now),
                      'retained_not_ro': not_ro, 'creating': creating,
                      'other_records': other, 'subvolumes': len(subs),
                      'records': len(recs)}))
    return 0


def cmd_calibrate(a):
    """Times of Commit and DeleteShareMapping on this server (K cycles of
    each kind on each share), for aiming the kills: one JSON line of the
    longest per op."""
    c = fsrvp_step.FsrvpClient('127.0.0.1', a.port, a.user, conf=a.conf)
    worst = {'commit': 0.0, 'delete': 0.0}
    for k in range(a.n):
        for share in a.share:
            for rw in (False, True):
                ctx = fsrvp_step.parse_context(
                    'file_share_backup,rw' if rw else 'backup')
                call(c, c.set_context, ctx)
                set_id = call(c, c.start_shadow_copy_set)['set_id']
                sc_id = call(c, c.add_to_shadow_copy_set, set_id,
                             share)['sc_id']
                call(c, c.prepare_shadow_copy_set, set_id)
                t = time.perf_counter()
                call(c, c.commit_shadow_copy_set, set_id)
                worst['commit'] = max(worst['commit'],
                                      (time.perf_counter() - t) * 1000)
                call(c, c.expose_shadow_copy_set, set_id)
                if rw:
                    call(c, c.recovery_complete_shadow_copy_set, set_id)
                t = time.perf_counter()
                call(c, c.delete_share_mapping, set_id, sc_id, share)
                worst['delete'] = max(worst['delete'],
                                      (time.perf_counter() - t) * 1000)
    print(json.dumps({k: round(v, 2) for k, v in worst.items()}))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sp = ap.add_subparsers(dest='cmd', required=True)

    w = sp.add_parser('writer')
    w.add_argument('--file', required=True)
    w.add_argument('--rate', type=float, default=50)
    w.add_argument('--stop', required=True)
    w.add_argument('--count-file', required=True)

    v = sp.add_parser('verify-log')
    v.add_argument('--file', required=True)
    v.add_argument('--count', type=int, required=True)

    def server(p):
        p.add_argument('--conf', required=True)
        p.add_argument('--port', type=int, required=True)
        p.add_argument('--user', required=True)
        p.add_argument('--smbd-pid', type=int, required=True)
        p.add_argument('--pid-dir', required=True)
        p.add_argument('--lock-dir', required=True)
        p.add_argument('--mnt', required=True)
        p.add_argument('--agent', default='')
        p.add_argument('--tag', default='')
        p.add_argument('--seed', type=int, default=1)

    s = sp.add_parser('soak')
    server(s)
    s.add_argument('--requester', action='append', required=True,
                   help='SHARE:STORE[:LOG:SHAREPATH][,SHARE:...] per requester')
    s.add_argument('--cycles', type=int, default=1000)
    s.add_argument('--every', type=int, default=50)
    s.add_argument('--mode', choices=('mixed', 'ro'), default='mixed')
    s.add_argument('--same-second-guard', action='store_true')
    s.add_argument('--smb-every', type=int, default=0,
                   help='read the log over SMB every N checked cycles')

    m = sp.add_parser('sample')
    server(m)
    m.add_argument('--cycle', type=int, default=0)

    r = sp.add_parser('report')
    r.add_argument('files', nargs='+')
    r.add_argument('--warmup', type=int, default=0)

    ci = sp.add_parser('crash-iter')
    server(ci)
    ci.add_argument('--op', choices=('commit', 'delete'), required=True)
    ci.add_argument('--rw', action='store_true')
    ci.add_argument('--share', required=True)
    ci.add_argument('--max-delay-ms', type=float, default=300)

    ns = sp.add_parser('new-set')
    server(ns)
    ns.add_argument('--share', required=True)

    cc = sp.add_parser('crash-check')
    server(cc)
    cc.add_argument('--base-subvols', required=True)
    cc.add_argument('--prev', required=True)
    cc.add_argument('--retain-share', required=True)
    cc.add_argument('--retain', type=int, required=True)

    cl = sp.add_parser('calibrate')
    server(cl)
    cl.add_argument('--share', action='append', required=True)
    cl.add_argument('--n', type=int, default=3)

    a = ap.parse_args(argv)
    try:
        return {'writer': cmd_writer, 'verify-log': cmd_verify_log,
                'soak': cmd_soak, 'sample': cmd_sample, 'report': cmd_report,
                'crash-iter': cmd_crash_iter,
                'crash-check': cmd_crash_check, 'calibrate': cmd_calibrate,
                'new-set': cmd_new_set}[a.cmd](a)
    except SoakError as e:
        log('FAIL: %s' % e)
        return 1


if __name__ == '__main__':
    sys.exit(main())
