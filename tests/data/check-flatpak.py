#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks flatpak/io.github.clavedesktop.Clave.json without building it
(that needs the GNOME runtime, which CI does not download). Prints TAP.

Usage: check-flatpak.py SOURCE_ROOT APP_ID
"""

import json
import os
import re
import sys

REQUIRED_FINISH_ARGS = ['--share=network', '--socket=wayland', '--socket=fallback-x11',
                        '--socket=pcsc']
# Readers are reached through the host's pcscd (--socket=pcsc); a sandbox
# hole wider than that is a regression.
FORBIDDEN_FINISH_ARGS = ['--device=all', '--socket=x11', '--filesystem=host',
                         '--filesystem=home', '--talk-name=org.freedesktop.Flatpak']
SHA256 = re.compile(r'^[0-9a-f]{64}$')
COMMIT = re.compile(r'^[0-9a-f]{40}$')

results = []


def check(ok, name, details=()):
    results.append((bool(ok), name, [str(d) for d in details]))


def source_problems(module):
    problems = []
    sources = module.get('sources', [])
    if not sources:
        problems.append(f"{module.get('name')}: no sources")
    for s in sources:
        kind = s.get('type')
        if kind in ('archive', 'file') and 'url' in s:
            if not s['url'].startswith('https://'):
                problems.append(f"{module['name']}: {s['url']} is not https")
            if not SHA256.match(s.get('sha256', '')):
                problems.append(f"{module['name']}: {s['url']} has no real sha256")
        elif kind == 'git':
            if not s.get('url', '').startswith('https://'):
                problems.append(f"{module['name']}: git url is not https")
            if not s.get('tag') or not COMMIT.match(s.get('commit', '')):
                problems.append(f"{module['name']}: git source needs a tag and its commit")
        elif kind in ('dir', 'file', 'patch') and 'path' in s:
            pass
        elif kind == 'script' and s.get('commands') and 'url' not in s:
            # Generated in the build dir (e.g. an autogen.sh for a git checkout);
            # fetches nothing, so there is nothing to pin.
            pass
        else:
            problems.append(f"{module['name']}: unexpected source {s}")
    return problems


def main():
    if len(sys.argv) != 3:
        print('usage: check-flatpak.py SOURCE_ROOT APP_ID', file=sys.stderr)
        return 2
    root, app_id = os.path.abspath(sys.argv[1]), sys.argv[2]
    path = os.path.join(root, 'flatpak', app_id + '.json')

    try:
        with open(path, encoding='utf-8') as f:
            manifest = json.load(f)
        check(isinstance(manifest, dict), f'{os.path.relpath(path, root)} parses as JSON')
    except (OSError, ValueError) as e:
        manifest = {}
        check(False, f'{os.path.relpath(path, root)} parses as JSON', [e])

    ident = manifest.get('id', manifest.get('app-id'))
    check(ident == app_id, f'the manifest builds {app_id}', [f'id: {ident!r}'])
    check(manifest.get('command') == 'clave-desktop', 'the command is clave-desktop',
          [f"command: {manifest.get('command')!r}"])
    check(manifest.get('runtime') == 'org.gnome.Platform'
          and manifest.get('sdk') == 'org.gnome.Sdk'
          and bool(manifest.get('runtime-version')),
          'the runtime is org.gnome.Platform with org.gnome.Sdk and a version',
          [f"runtime: {manifest.get('runtime')!r} {manifest.get('runtime-version')!r}, "
           f"sdk: {manifest.get('sdk')!r}"])

    args = manifest.get('finish-args', [])
    missing = [a for a in REQUIRED_FINISH_ARGS if a not in args]
    check(not missing, 'finish-args give network, Wayland with X11 fallback and PC/SC',
          [f'missing: {a}' for a in missing])
    wide = [a for a in args if a in FORBIDDEN_FINISH_ARGS]
    check(not wide, 'finish-args open no wider hole (no --device=all, x11, home, host)',
          [f'forbidden: {a}' for a in wide])

    modules = [m for m in manifest.get('modules', []) if isinstance(m, dict)]
    names = [m.get('name') for m in modules]
    check(len(modules) == len(manifest.get('modules', [])),
          'modules are written inline', [f'modules: {names}'])
    by_name = {m.get('name'): m for m in modules}

    pcsc = by_name.get('pcsc-lite', {})
    opts = pcsc.get('config-opts', [])
    check(pcsc and '-Dlibsystemd=false' in opts and '-Dpolkit=false' in opts
          and '/sbin' in pcsc.get('cleanup', []),
          'pcsc-lite ships only the client library (no systemd, polkit or pcscd)',
          [f'config-opts: {opts}', f"cleanup: {pcsc.get('cleanup')}"])
    opensc = by_name.get('opensc', {})
    check(opensc and pcsc and '--enable-pcsc' in opensc.get('config-opts', [])
          and names.index('opensc') > names.index('pcsc-lite'),
          'OpenSC is built with PC/SC after pcsc-lite', [f'modules: {names}'])

    # clave-server and a test link libqrencode; the app decodes QR codes with
    # zbar (meson.build). Both must be built before the app module.
    for dep, what in (('libqrencode', 'QR encoding'), ('zbar', 'QR decoding')):
        check(dep in names and 'clave-desktop' in names
              and names.index(dep) < names.index('clave-desktop'),
              f'{dep} ({what}) is built before the app', [f'modules: {names}'])
    qr_opts = by_name.get('libqrencode', {}).get('config-opts', [])
    check('--without-tools' in qr_opts, 'libqrencode builds only the library (no qrencode tool, no libpng)',
          [f'config-opts: {qr_opts}'])
    zbar_opts = by_name.get('zbar', {}).get('config-opts', [])
    zbar_missing = [o for o in ('--disable-video', '--without-imagemagick', '--without-gtk',
                                '--without-qt', '--without-python', '--without-x')
                    if o not in zbar_opts]
    check('zbar' in by_name and not zbar_missing,
          'zbar builds only the library (no video, ImageMagick, GTK, Qt, Python or X)',
          [f'missing: {o}' for o in zbar_missing])

    app = modules[-1] if modules else {}
    check(app.get('name') == 'clave-desktop' and app.get('buildsystem') == 'meson',
          'the app is the last module and builds with meson',
          [f"last: {app.get('name')!r} ({app.get('buildsystem')!r})"])
    app_dirs = [os.path.normpath(os.path.join(os.path.dirname(path), s['path']))
                for s in app.get('sources', []) if s.get('type') == 'dir']
    check(app_dirs == [root], 'the app module builds this source tree', [f'dir: {app_dirs}'])

    problems = [p for m in modules[:-1] for p in source_problems(m)]
    check(modules[:-1] and not problems,
          'every dependency has an https source pinned by sha256 or tag and commit', problems)

    print(f'1..{len(results)}')
    for n, (ok, name, details) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {n} - {name}")
        for d in details:
            print(f'# {d}')
        # meson --print-errorlogs shows stderr, so a failure explains itself in CI logs.
        if not ok:
            print(f'FAIL: {name}', *(f'  {d}' for d in details), sep='\n', file=sys.stderr)
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == '__main__':
    sys.exit(main())
