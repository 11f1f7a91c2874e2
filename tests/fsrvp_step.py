#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""fsrvp_step — a step-at-a-time MS-FSRVP client for rvss's tests.

rpcclient's fss_* commands run a whole sequence (start/add/commit/expose)
in one go and cannot stop between steps.  The fault tests need to pause
after any step, kill the server, and go on; this client does one FSRVP
call per command.

python3-samba 4.17 has no samba.dcerpc.fsrvp binding, so the NDR of each
request and response is marshalled here by hand (NDR20, little endian,
after librpc/idl/fsrvp.idl) and sent over
samba.dcerpc.base.ClientConnection.request(opnum, stub).  Must be run by
Debian's /usr/bin/python3 (pyenv's python has no samba module).

The server's SMB port: the ncacn_np transport dials the ports in the client
loadparm's "smb ports", so a port other than 445 is passed by setting
"smb ports" in the LoadParm handed to ClientConnection.

Three ways to use it:

  * library:  c = fsrvp_step.FsrvpClient('127.0.0.1', port, 'root%pw',
                                         conf='/tmp/x/smb.conf')
              r = c.start_shadow_copy_set(); r['hresult'] ...
  * stdin:    fsrvp_step.py -s CONF -p PORT -U user%pass [HOST]
              then one command per line, one JSON object per line out
              (see COMMANDS below, or "help");
  * one-shot: fsrvp_step.py -s CONF -p PORT -U user%pass create \
                  backup|file_share_backup|nas_rollback|app_rollback ro|rw SHARE

Copyright (C) rvss authors.  GPL-3.0-or-later.
"""

import argparse
import json
import shlex
import struct
import sys
import time
import uuid

IFACE_UUID = 'a8e0653c-2744-4389-a61d-7373df8b2292'
IFACE_VERSION = 1

# Opnums: the order of the functions in librpc/idl/fsrvp.idl.
OP_GET_SUPPORTED_VERSION = 0
OP_SET_CONTEXT = 1
OP_START_SHADOW_COPY_SET = 2
OP_ADD_TO_SHADOW_COPY_SET = 3
OP_COMMIT_SHADOW_COPY_SET = 4
OP_EXPOSE_SHADOW_COPY_SET = 5
OP_RECOVERY_COMPLETE_SHADOW_COPY_SET = 6
OP_ABORT_SHADOW_COPY_SET = 7
OP_IS_PATH_SUPPORTED = 8
OP_IS_PATH_SHADOW_COPIED = 9
OP_GET_SHARE_MAPPING = 10
OP_DELETE_SHARE_MAPPING = 11
OP_PREPARE_SHADOW_COPY_SET = 12

# Result codes (fsrvp.idl, MS-FSRVP 2.2.4, and the HRESULTs Samba's
# srv_fss_agent.c returns).
HRESULT_NAMES = {
    0x00000000: 'S_OK',
    0x80042301: 'FSRVP_E_BAD_STATE',
    0x80042316: 'FSRVP_E_SHADOW_COPY_SET_IN_PROGRESS',
    0x8004230C: 'FSRVP_E_NOT_SUPPORTED',
    0x00000102: 'FSRVP_E_WAIT_TIMEOUT',
    0xFFFFFFFF: 'FSRVP_E_WAIT_FAILED',
    0x8004230D: 'FSRVP_E_OBJECT_ALREADY_EXISTS',
    0x80042308: 'FSRVP_E_OBJECT_NOT_FOUND',
    0x8004231B: 'FSRVP_E_UNSUPPORTED_CONTEXT',
    0x80042302: 'FSRVP_E_BAD_ID',
    0x80042501: 'FSRVP_E_SHADOWCOPYSET_ID_MISMATCH',
    # GetShareMapping before Exposed: "documented magic value" in Samba,
    # MS-FSRVP footnote <9> (Windows Server 2012 behaviour).
    0x80042311: 'FSRVP_E_BAD_STATE_W2012',
    0x80004005: 'E_FAIL',
    0x80070005: 'E_ACCESSDENIED',
    0x8007000E: 'E_OUTOFMEMORY',
    0x80070057: 'E_INVALIDARG',
}

# Contexts (fsrvp.idl FSRVP_CTX_* and the ATTR_* bits).
ATTR_AUTO_RECOVERY = 0x00400000
CONTEXTS = {
    'backup': 0x00000000,
    'file_share_backup': 0x00000010,
    'nas_rollback': 0x00000019,
    'app_rollback': 0x00000009,
}

DEFAULT_TIMEOUT_MS = 60000


def hresult_name(code):
    return HRESULT_NAMES.get(code & 0xffffffff, 'UNKNOWN')


def hres(code):
    """The two JSON fields every call reports."""
    return {'hresult': '0x%08x' % (code & 0xffffffff),
            'hresult_name': hresult_name(code)}


def parse_context(text):
    """'backup', 'file_share_backup', ... or a number; optional ',rw' /
    '+rw' adds ATTR_AUTO_RECOVERY (what rpcclient's fss_create_expose
    does for "rw")."""
    rw = False
    for sep in (',', '+'):
        if sep in text:
            text, flag = text.split(sep, 1)
            if flag != 'rw':
                raise ValueError('unknown context flag %r' % flag)
            rw = True
    if text in CONTEXTS:
        ctx = CONTEXTS[text]
    else:
        ctx = int(text, 0)
    if rw:
        ctx |= ATTR_AUTO_RECOVERY
    return ctx


class NdrError(Exception):
    pass


class NdrPush(object):
    """NDR20 little-endian encoder for the few types FSRVP uses."""

    def __init__(self):
        self.buf = bytearray()

    def align(self, n):
        while len(self.buf) % n:
            self.buf.append(0)

    def u32(self, v):
        self.align(4)
        self.buf += struct.pack('<I', v & 0xffffffff)

    def guid(self, g):
        # GUID: uint32, uint16, uint16, uint8[8] (misc.idl), aligned 4;
        # exactly uuid's bytes_le layout.
        self.align(4)
        self.buf += uuid.UUID(str(g)).bytes_le

    def ref_wstring(self, s):
        """[string,charset(UTF16)] uint16 * as a top-level [in] argument:
        a ref pointer, so no referent id; conformant varying array."""
        data = (s + '\0').encode('utf-16-le')
        n = len(data) // 2
        self.u32(n)      # max count
        self.u32(0)      # offset
        self.u32(n)      # actual count
        self.buf += data

    def bytes(self):
        return bytes(self.buf)


class NdrPull(object):
    def __init__(self, data):
        self.data = bytes(data)
        self.ofs = 0

    def align(self, n):
        self.ofs = (self.ofs + n - 1) // n * n

    def need(self, n):
        if self.ofs + n > len(self.data):
            raise NdrError('response truncated at %d (+%d of %d)' %
                           (self.ofs, n, len(self.data)))

    def u32(self):
        self.align(4)
        self.need(4)
        v = struct.unpack_from('<I', self.data, self.ofs)[0]
        self.ofs += 4
        return v

    def i32(self):
        v = self.u32()
        return v - (1 << 32) if v & 0x80000000 else v

    def u64(self):
        # NTTIME is a udlong: two uint32, aligned 4 in NDR20.
        lo = self.u32()
        hi = self.u32()
        return lo | (hi << 32)

    def guid(self):
        self.align(4)
        self.need(16)
        g = uuid.UUID(bytes_le=self.data[self.ofs:self.ofs + 16])
        self.ofs += 16
        return str(g)

    def wstring(self):
        """Deferred conformant varying UTF-16 string (after its pointer)."""
        size = self.u32()
        offset = self.u32()
        length = self.u32()
        if offset != 0 or length > size:
            raise NdrError('bad string header size=%d offset=%d length=%d'
                           % (size, offset, length))
        self.need(length * 2)
        raw = self.data[self.ofs:self.ofs + length * 2]
        self.ofs += length * 2
        s = raw.decode('utf-16-le')
        if s.endswith('\0'):
            s = s[:-1]
        return s

    def done(self):
        if self.ofs != len(self.data):
            raise NdrError('%d trailing bytes in response' %
                           (len(self.data) - self.ofs))


def unc(host, share):
    """Accept '\\\\host\\share', '//host/share' or a bare share name.
    A name written with every backslash doubled, as in a C or JSON
    string ('\\\\\\\\host\\\\share'), is undoubled."""
    if share.startswith('\\\\\\\\'):
        share = share.replace('\\\\', '\\')
    if share.startswith('\\\\'):
        return share
    if share.startswith('//'):
        return share.replace('/', '\\')
    return '\\\\%s\\%s' % (host, share)


class FsrvpClient(object):
    """One DCE/RPC connection to the FssagentRpc pipe.

    Every method returns a dict with 'op', 'hresult' ('0x%08x'),
    'hresult_name' and the call's out values (GUIDs as lowercase strings,
    as Samba's GUID_string prints them)."""

    def __init__(self, host='127.0.0.1', port=None, creds='root%',
                 conf=None, binding=None):
        self.host = host
        self.port = port
        self.creds_text = creds
        self.conf = conf
        self.binding = binding or ('ncacn_np:%s[\\pipe\\FssagentRpc]' % host)
        self.conn = None
        self.connect()

    def connect(self):
        from samba import param, credentials
        from samba.dcerpc import base
        lp = param.LoadParm()
        if self.conf:
            lp.load(self.conf)
        else:
            lp.load_default()
        if self.port:
            # ncacn_np over SMB dials the client's "smb ports"; from
            # Samba 4.23 the client's own "client smb transports".
            lp.set('smb ports', str(self.port))
            try:
                lp.set('client smb transports', 'tcp:%d' % self.port)
            except Exception:
                pass  # before 4.23: no such parameter
        cr = credentials.Credentials()
        cr.guess(lp)
        user, _, pw = self.creds_text.partition('%')
        if '\\' in user:
            dom, user = user.split('\\', 1)
            cr.set_domain(dom)
        cr.set_username(user)
        cr.set_password(pw)
        self.conn = None
        self.conn = base.ClientConnection(
            self.binding, (IFACE_UUID, IFACE_VERSION), lp, cr)

    def close(self):
        self.conn = None

    def _call(self, opnum, stub):
        if self.conn is None:
            raise RuntimeError('not connected')
        return NdrPull(self.conn.request(opnum, stub))

    @staticmethod
    def _finish(op, pull, out):
        code = pull.u32()
        pull.done()
        r = {'op': op}
        r.update(hres(code))
        r.update(out)
        return r

    # -- the thirteen operations --------------------------------------

    def get_supported_version(self):
        p = self._call(OP_GET_SUPPORTED_VERSION, b'')
        mn = p.u32()
        mx = p.u32()
        return self._finish('get_supported_version', p,
                            {'min_version': mn, 'max_version': mx})

    def set_context(self, context):
        q = NdrPush()
        q.u32(context)
        p = self._call(OP_SET_CONTEXT, q.bytes())
        return self._finish('set_context', p,
                            {'context': '0x%08x' % context})

    def start_shadow_copy_set(self, client_set_id=None):
        q = NdrPush()
        q.guid(client_set_id or uuid.uuid4())
        p = self._call(OP_START_SHADOW_COPY_SET, q.bytes())
        set_id = p.guid()
        return self._finish('start', p, {'set_id': set_id})

    def add_to_shadow_copy_set(self, set_id, share, client_sc_id=None):
        q = NdrPush()
        q.guid(client_sc_id or uuid.uuid4())
        q.guid(set_id)
        q.ref_wstring(unc(self.host, share))
        p = self._call(OP_ADD_TO_SHADOW_COPY_SET, q.bytes())
        sc_id = p.guid()
        return self._finish('add', p, {'set_id': str(set_id),
                                       'sc_id': sc_id})

    def _set_timeout(self, opnum, op, set_id, timeout_ms):
        q = NdrPush()
        q.guid(set_id)
        q.u32(timeout_ms)
        p = self._call(opnum, q.bytes())
        return self._finish(op, p, {'set_id': str(set_id)})

    def commit_shadow_copy_set(self, set_id, timeout_ms=DEFAULT_TIMEOUT_MS):
        return self._set_timeout(OP_COMMIT_SHADOW_COPY_SET, 'commit',
                                 set_id, timeout_ms)

    def expose_shadow_copy_set(self, set_id, timeout_ms=DEFAULT_TIMEOUT_MS):
        return self._set_timeout(OP_EXPOSE_SHADOW_COPY_SET, 'expose',
                                 set_id, timeout_ms)

    def prepare_shadow_copy_set(self, set_id, timeout_ms=DEFAULT_TIMEOUT_MS):
        return self._set_timeout(OP_PREPARE_SHADOW_COPY_SET, 'prepare',
                                 set_id, timeout_ms)

    def _set_only(self, opnum, op, set_id):
        q = NdrPush()
        q.guid(set_id)
        p = self._call(opnum, q.bytes())
        return self._finish(op, p, {'set_id': str(set_id)})

    def recovery_complete_shadow_copy_set(self, set_id):
        return self._set_only(OP_RECOVERY_COMPLETE_SHADOW_COPY_SET,
                              'recovery', set_id)

    def abort_shadow_copy_set(self, set_id):
        return self._set_only(OP_ABORT_SHADOW_COPY_SET, 'abort', set_id)

    def is_path_supported(self, share):
        q = NdrPush()
        q.ref_wstring(unc(self.host, share))
        p = self._call(OP_IS_PATH_SUPPORTED, q.bytes())
        supported = p.u32()
        owner = None
        if p.u32() != 0:            # unique pointer referent id
            owner = p.wstring()
        return self._finish('is_path_supported', p,
                            {'supported': bool(supported),
                             'owner': owner})

    def is_path_shadow_copied(self, share):
        q = NdrPush()
        q.ref_wstring(unc(self.host, share))
        p = self._call(OP_IS_PATH_SHADOW_COPIED, q.bytes())
        present = p.u32()
        compat = p.i32()
        return self._finish('is_path_shadow_copied', p,
                            {'present': bool(present),
                             'compatibility': compat})

    def get_share_mapping(self, set_id, sc_id, share, level=1):
        q = NdrPush()
        q.guid(sc_id)
        q.guid(set_id)
        q.ref_wstring(unc(self.host, share))
        q.u32(level)
        p = self._call(OP_GET_SHARE_MAPPING, q.bytes())
        # Non-encapsulated union: discriminant, then arm (a unique
        # pointer for level 1), then the pointed-to struct.
        disc = p.u32()
        out = {'set_id': str(set_id), 'sc_id': str(sc_id), 'level': disc}
        ptr = p.u32() if disc == 1 else 0
        if ptr:
            m_set = p.guid()
            m_sc = p.guid()
            p_unc = p.u32()
            p_name = p.u32()
            tstamp = p.u64()
            share_unc = p.wstring() if p_unc else None
            sc_share = p.wstring() if p_name else None
            out.update({'mapping_set_id': m_set, 'mapping_sc_id': m_sc,
                        'share_unc': share_unc,
                        'exposed_share': sc_share,
                        'tstamp_nttime': tstamp,
                        'tstamp_unix': nttime_to_unix(tstamp)})
        return self._finish('mapping', p, out)

    def delete_share_mapping(self, set_id, sc_id, share):
        q = NdrPush()
        q.guid(set_id)
        q.guid(sc_id)
        q.ref_wstring(unc(self.host, share))
        p = self._call(OP_DELETE_SHARE_MAPPING, q.bytes())
        return self._finish('delete', p, {'set_id': str(set_id),
                                          'sc_id': str(sc_id)})

    # -- a whole sequence, as rpcclient's fss_create_expose -----------

    def create_expose(self, context, share):
        """SetContext, Start, Add, Prepare, Commit, Expose, GetShareMapping.
        Stops at the first failing step; returns all step results."""
        steps = []
        res = {'op': 'create', 'steps': steps}

        def step(r):
            steps.append(r)
            return r['hresult'] == '0x00000000'

        ok = step(self.set_context(context))
        if ok:
            r = self.start_shadow_copy_set()
            ok = step(r)
            res['set_id'] = r['set_id']
        if ok:
            r = self.add_to_shadow_copy_set(res['set_id'], share)
            ok = step(r)
            res['sc_id'] = r['sc_id']
        for fn in (self.prepare_shadow_copy_set, self.commit_shadow_copy_set,
                   self.expose_shadow_copy_set):
            if ok:
                ok = step(fn(res['set_id']))
        if ok:
            r = self.get_share_mapping(res['set_id'], res['sc_id'], share)
            ok = step(r)
            for k in ('exposed_share', 'share_unc', 'tstamp_nttime',
                      'tstamp_unix'):
                res[k] = r.get(k)
        last = steps[-1]
        res['hresult'] = last['hresult']
        res['hresult_name'] = last['hresult_name']
        res['failed_step'] = None if ok else last['op']
        return res


def nttime_to_unix(nt):
    if nt == 0:
        return 0
    return nt // 10000000 - 11644473600


COMMANDS = """\
version                          GetSupportedVersion
context CTX                      SetContext (CTX: backup, file_share_backup,
                                   nas_rollback, app_rollback or a number;
                                   suffix ,rw adds ATTR_AUTO_RECOVERY)
start CTX                        SetContext CTX, then StartShadowCopySet
start_only                       StartShadowCopySet without SetContext
add SET SHARE                    AddToShadowCopySet
prepare SET [TIMEOUT_MS]         PrepareShadowCopySet
commit SET [TIMEOUT_MS]          CommitShadowCopySet
expose SET [TIMEOUT_MS]          ExposeShadowCopySet
mapping SET SC SHARE             GetShareMapping level 1
recovery SET                     RecoveryCompleteShadowCopySet
abort SET                        AbortShadowCopySet
delete SET SC SHARE              DeleteShareMapping
is_path_supported SHARE          IsPathSupported
is_path_shadow_copied SHARE      IsPathShadowCopied
create CTX ro|rw SHARE           the whole rpcclient-like create+expose:
                                   SetContext, Start, Add, Prepare, Commit,
                                   Expose, GetShareMapping; prints set_id,
                                   sc_id, exposed_share, tstamp_unix, the
                                   steps, and snap_path (the exposed
                                   registry share's path, by "net -s CONF
                                   conf getparm"; null without -s)
reconnect                        drop and redial the connection
sleep SECONDS                    pause (prints {"op":"sleep"} afterwards)
echo TEXT                        print {"op":"echo","text":TEXT}
quit                             exit 0
SHARE is \\\\host\\share, //host/share or a bare share name.
Words are separated by blanks; quotes group; backslashes are literal
(a name with every backslash doubled is accepted too).
Every command prints one JSON object; transport failures print
{"op":...,"error":"..."} and the session goes on (use reconnect)."""


def run_command(state, words):
    """Execute one parsed command line; returns a dict to print, or None
    to stop."""
    cmd = words[0]
    a = words[1:]

    def need(n, usage):
        if len(a) < n:
            raise ValueError('usage: %s' % usage)

    if cmd in ('quit', 'exit'):
        return None
    if cmd == 'help':
        return {'op': 'help', 'text': COMMANDS}
    if cmd == 'sleep':
        need(1, 'sleep SECONDS')
        time.sleep(float(a[0]))
        return {'op': 'sleep', 'seconds': float(a[0])}
    if cmd == 'echo':
        return {'op': 'echo', 'text': ' '.join(a)}
    if cmd == 'reconnect':
        state['client'].close()
        state['client'].connect()
        return {'op': 'reconnect', 'connected': True}

    c = state['client']
    if c.conn is None:
        c.connect()
    if cmd == 'version':
        return c.get_supported_version()
    if cmd == 'context':
        need(1, 'context CTX')
        return c.set_context(parse_context(a[0]))
    if cmd == 'start':
        need(1, 'start CTX')
        r1 = c.set_context(parse_context(a[0]))
        if r1['hresult'] != '0x00000000':
            r1['op'] = 'start'
            r1['set_id'] = None
            r1['failed_step'] = 'set_context'
            return r1
        return c.start_shadow_copy_set()
    if cmd == 'start_only':
        return c.start_shadow_copy_set()
    if cmd == 'add':
        need(2, 'add SET SHARE')
        return c.add_to_shadow_copy_set(a[0], a[1])
    if cmd in ('prepare', 'commit', 'expose'):
        need(1, '%s SET [TIMEOUT_MS]' % cmd)
        t = int(a[1]) if len(a) > 1 else DEFAULT_TIMEOUT_MS
        fn = {'prepare': c.prepare_shadow_copy_set,
              'commit': c.commit_shadow_copy_set,
              'expose': c.expose_shadow_copy_set}[cmd]
        return fn(a[0], t)
    if cmd == 'mapping':
        need(3, 'mapping SET SC SHARE')
        return c.get_share_mapping(a[0], a[1], a[2])
    if cmd == 'recovery':
        need(1, 'recovery SET')
        return c.recovery_complete_shadow_copy_set(a[0])
    if cmd == 'abort':
        need(1, 'abort SET')
        return c.abort_shadow_copy_set(a[0])
    if cmd == 'delete':
        need(3, 'delete SET SC SHARE')
        return c.delete_share_mapping(a[0], a[1], a[2])
    if cmd == 'is_path_supported':
        need(1, 'is_path_supported SHARE')
        return c.is_path_supported(a[0])
    if cmd == 'is_path_shadow_copied':
        need(1, 'is_path_shadow_copied SHARE')
        return c.is_path_shadow_copied(a[0])
    if cmd == 'create':
        need(3, 'create CTX ro|rw SHARE')
        return create_cmd(c, a[0], a[1], a[2])
    raise ValueError('unknown command %r (try "help")' % cmd)


def create_cmd(c, ctx_name, mode, share):
    if mode not in ('ro', 'rw'):
        raise ValueError('mode must be ro or rw')
    ctx = parse_context(ctx_name)
    if mode == 'rw':
        ctx |= ATTR_AUTO_RECOVERY
    r = c.create_expose(ctx, share)
    r['context'] = '0x%08x' % ctx
    r['snap_path'] = None
    if r.get('exposed_share') and c.conf:
        r['snap_path'] = exposed_share_path(c.conf, r['exposed_share'])
    return r


def exposed_share_path(conf, share):
    """The path of an exposed share: FSRVP does not return the snapshot
    path, but Samba writes it as the "path" of the registry share it
    creates at Expose (the snap_path the VFS module returned from
    snap_create).  Read it with "net conf getparm" of the same smb.conf;
    None when that is not possible (remote server, no net)."""
    import subprocess
    try:
        out = subprocess.run(['net', '-s', conf, 'conf', 'getparm', share,
                              'path'], capture_output=True, text=True,
                             timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def split_line(line):
    """Words of a command line: blanks separate, quotes group, and a
    backslash is an ordinary character (UNC names are full of them)."""
    lex = shlex.shlex(line, posix=True)
    lex.whitespace_split = True
    lex.escape = ''
    lex.commenters = ''
    return list(lex)


def emit(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + '\n')
    sys.stdout.flush()


def main(argv=None):
    ap = argparse.ArgumentParser(
        description='Step-at-a-time MS-FSRVP client (one call per command).',
        epilog=COMMANDS, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('-s', '--configfile', help='client smb.conf to load')
    ap.add_argument('-p', '--port', type=int, help='SMB port of the server')
    ap.add_argument('-U', '--user', default='root%',
                    help='user%%password (default root%%)')
    ap.add_argument('-H', '--host', default='127.0.0.1')
    ap.add_argument('--binding', help='full DCE/RPC binding string')
    ap.add_argument('words', nargs='*',
                    help='a single command (one-shot); none: read stdin')
    args = ap.parse_args(argv)

    try:
        client = FsrvpClient(args.host, args.port, args.user,
                             conf=args.configfile, binding=args.binding)
    except Exception as e:  # connection refused, logon failure, ...
        emit({'op': 'connect', 'error': str(e)})
        return 2
    state = {'client': client}

    if args.words:
        try:
            r = run_command(state, args.words)
        except ValueError as e:
            emit({'op': args.words[0], 'error': str(e)})
            return 2
        except Exception as e:
            emit({'op': args.words[0], 'error': str(e)})
            return 1
        if r is not None:
            emit(r)
            return 0 if r.get('hresult', '0x00000000') == '0x00000000' else 1
        return 0

    rc = 0
    for line in sys.stdin:
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        try:
            words = split_line(line)
        except ValueError as e:
            emit({'op': None, 'error': 'parse: %s' % e})
            rc = 2
            continue
        try:
            r = run_command(state, words)
        except ValueError as e:
            emit({'op': words[0], 'error': str(e)})
            rc = 2
            continue
        except Exception as e:
            # A dead server shows up here; keep going so the driver can
            # "reconnect" after restarting it.
            client.close()
            emit({'op': words[0], 'error': str(e)})
            continue
        if r is None:
            break
        emit(r)
    return rc


if __name__ == '__main__':
    sys.exit(main())
