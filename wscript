#!/usr/bin/env python3
# rvss build: waf, as Samba builds itself.  Driven by the Makefile, which
# prepares the Samba source tree first (tools/prepare-samba.sh).
#
#   waf configure --samba-src=DIR [--sanitize]
#   waf build
#   waf install --destdir=DIR
import json
import os
import shlex
import subprocess

from waflib import Errors

APPNAME = 'rvss'
VERSION = '0.1.0'

top = '.'
out = 'build'

WARN = ['-Wall', '-Wextra', '-Wno-unused-parameter', '-Werror=implicit-function-declaration',
        '-Werror=format-security', '-Wformat=2', '-Wshadow', '-Wstrict-prototypes']


def options(opt):
    opt.load('compiler_c')
    opt.add_option('--samba-src', dest='samba_src', default=None,
                   help='prepared Samba source tree matching the installed smbd '
                        '(see tools/prepare-samba.sh)')
    opt.add_option('--sanitize', dest='sanitize', action='store_true', default=False,
                   help='build the core, the agent and the tests with ASan+UBSan '
                        '(the module is not built)')


def samba_flags(conf, src):
    """Compile flags of an in-tree VFS module, read off Samba's own
    compile_commands.json (vfs_btrfs), so the module sees exactly the
    headers and defines that the installed smbd was built with."""
    db = os.path.join(src, 'bin', 'default', 'compile_commands.json')
    try:
        with open(db) as f:
            cmds = json.load(f)
    except (OSError, ValueError) as e:
        conf.fatal('cannot read %s (%s): run tools/prepare-samba.sh' % (db, e))
    for c in cmds:
        if c['file'].endswith('source3/modules/vfs_btrfs.c'):
            argv = c.get('arguments') or shlex.split(c['command'])
            cwd = c['directory']
            break
    else:
        conf.fatal('vfs_btrfs is not in %s: run tools/prepare-samba.sh' % db)
    incs, defs = [], []
    for a in argv:
        if a.startswith('-I'):
            p = os.path.normpath(os.path.join(cwd, a[2:]))
            if os.path.isdir(p) and p not in incs:
                incs.append(p)
        elif a.startswith('-D') and 'STATIC_vfs_btrfs' not in a:
            defs.append(a[2:])
    return incs, defs


def debian_version(src):
    """The Debian version of samba the tree was prepared from: written by
    tools/prepare-samba.sh, else the top of debian/changelog, else None."""
    try:
        with open(os.path.join(src, '.rvss-debian-version')) as f:
            return f.read().strip()
    except OSError:
        pass
    try:
        with open(os.path.join(src, 'debian', 'changelog')) as f:
            first = f.readline()
    except OSError:
        return None
    if '(' in first and ')' in first:
        return first.split('(', 1)[1].split(')', 1)[0]
    return None


def configure(conf):
    conf.load('compiler_c')
    conf.env.append_value('CFLAGS', ['-g', '-O2', '-std=gnu11'] + WARN)
    conf.env.append_value('DEFINES', ['_GNU_SOURCE'])

    for pkg, store in (('talloc', 'TALLOC'), ('tevent', 'TEVENT'), ('tdb', 'TDB'),
                       ('libbtrfsutil', 'BTRFSUTIL'), ('cmocka', 'CMOCKA')):
        conf.check_cfg(package=pkg, args=['--cflags', '--libs'],
                       uselib_store=store, mandatory=True)
    conf.check(header_name='btrfsutil.h', features='c', use='BTRFSUTIL')
    conf.check(header_name='linux/btrfs.h', features='c')

    conf.env.SANITIZE = conf.options.sanitize
    if conf.options.sanitize:
        san = ['-fsanitize=address,undefined', '-fno-omit-frame-pointer',
               '-fno-sanitize-recover=undefined']
        conf.env.append_value('CFLAGS', san)
        conf.env.append_value('LINKFLAGS', san)
        return

    src = conf.options.samba_src
    if not src:
        conf.fatal('--samba-src=DIR is required (tools/prepare-samba.sh prints it)')
    src = os.path.abspath(src)
    conf.msg('Samba source tree', src)
    incs, defs = samba_flags(conf, src)
    conf.env.SAMBA_INCLUDES = incs
    conf.env.SAMBA_DEFINES = defs
    pkg = debian_version(src)
    conf.msg('Samba package of the tree', pkg or 'unknown (not a Debian source tree)')
    conf.env.RVSS_DEFINES = ['RVSS_VERSION="%s"' % VERSION,
                             'RVSS_SAMBA_PACKAGE="%s"' % (pkg or '')]

    # Where the installed smbd loads VFS modules from: ask smbd, not a guess.
    try:
        b = subprocess.run(['smbd', '-b'], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        conf.fatal('cannot run smbd -b (%s): is samba installed?' % e)
    moddir = None
    for line in b.splitlines():
        line = line.strip()
        if line.startswith('MODULESDIR:'):
            moddir = line.split(':', 1)[1].strip()
    if not moddir:
        conf.fatal('smbd -b does not name MODULESDIR')
    conf.env.VFSDIR = os.path.join(moddir, 'vfs')
    conf.msg('Samba VFS module directory', conf.env.VFSDIR)


def build(bld):
    # The Samba-independent core: libc, talloc, tdb, libbtrfsutil.
    core_src = bld.path.ant_glob('lib/*.c')
    bld.stlib(source=core_src, target='rvsscore', includes='lib',
              export_includes='lib', cflags=['-fPIC'],
              use='TALLOC TDB BTRFSUTIL')


    # The agent's command code (everything but main.c) as a library, so
    # the unit tests can call the agent's rules and parsers directly.
    agent_lib = [n for n in bld.path.ant_glob('fsrvp_agent/*.c') if n.name != 'main.c']
    test_use = 'rvsscore TALLOC TDB BTRFSUTIL CMOCKA'
    if agent_lib:
        bld.stlib(source=agent_lib, target='agentcore', includes='fsrvp_agent lib',
                  use='rvsscore TALLOC TDB BTRFSUTIL')
        test_use = 'agentcore ' + test_use
    bld.program(source=bld.path.ant_glob('fsrvp_agent/main.c'),
                target='bin/fsrvp_agent', includes='fsrvp_agent lib',
                use=('agentcore ' if agent_lib else '') + 'rvsscore TALLOC TDB BTRFSUTIL',
                install_path='${PREFIX}/bin')

    for t in bld.path.ant_glob('tests/unit/test_*.c'):
        bld.program(source=[t], target='tests/unit/' + t.name[:-2],
                    includes='lib fsrvp_agent tests/unit', use=test_use,
                    install_path=None)

    if bld.env.SANITIZE:
        return

    bld.install_files('${PREFIX}/share/man/man8', bld.path.ant_glob('man/*.8'))

    # The VFS module: a plain shared object.  Only libbtrfsutil is linked;
    # talloc, tdb and Samba's own symbols resolve inside smbd at load time
    # (linking Samba's private libraries breaks their versioned symbols).
    mod = bld(features='c cshlib', target='rvss',
              source=bld.path.ant_glob('vfs_rvss/*.c'),
              includes=['vfs_rvss', 'lib'] + bld.env.SAMBA_INCLUDES,
              defines=bld.env.SAMBA_DEFINES + bld.env.RVSS_DEFINES,
              cflags=['-fPIC', '-Wno-shadow', '-Wno-strict-prototypes',
                      '-Wno-sign-compare', '-Wno-missing-field-initializers',
                      '-fvisibility=hidden'],
              linkflags=['-Wl,--no-undefined-version', '-Wl,-z,relro,-z,now'],
              use='rvsscore BTRFSUTIL',
              install_path=bld.env.VFSDIR)
    mod.env = bld.env.derive()
    mod.env.cshlib_PATTERN = '%s.so'
    mod.env.LIB_TDB = []
    mod.env.LIB_TALLOC = []
