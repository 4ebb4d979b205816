#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of data/ that the stock validators do not make. Prints TAP.

Usage: check-data-files.py SOURCE_ROOT APP_ID SERVER_UNIT [DESKTOP METAINFO]

SERVER_UNIT is the configured clave-server.service; DESKTOP and METAINFO
are the files merged with translations (absent when built with -Dapp=false).
"""

import configparser
import os
import re
import sys
import xml.etree.ElementTree as ET

SVG = '{http://www.w3.org/2000/svg}'
results = []


def check(ok, name, details=()):
    results.append((bool(ok), name, [str(d) for d in details]))


def check_app_icon(path):
    try:
        svg = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        check(False, 'the app icon is a 128x128 SVG', [e])
        return
    check(svg.tag == SVG + 'svg' and svg.get('viewBox') == '0 0 128 128',
          'the app icon is a 128x128 SVG', [f"viewBox: {svg.get('viewBox')!r}"])


def check_symbolic_icon(path):
    try:
        svg = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        check(False, 'the symbolic icon is a 16x16 SVG drawn with fills only', [e])
        return
    # GTK recolours the fill of a symbolic icon to the theme's foreground;
    # strokes, gradients and raster images would keep their own colours.
    problems = []
    for el in svg.iter():
        tag = el.tag.replace(SVG, '')
        if tag in ('image', 'linearGradient', 'radialGradient', 'text'):
            problems.append(f'<{tag}> cannot be recoloured')
        stroke = el.get('stroke') or ''
        style = el.get('style') or ''
        if (stroke and stroke != 'none') or re.search(r'stroke\s*:\s*(?!none)', style):
            problems.append(f'<{tag}> has a stroke')
    paths = [el for el in svg.iter(SVG + 'path')]
    check(svg.get('viewBox') == '0 0 16 16' and paths and not problems,
          'the symbolic icon is a 16x16 SVG drawn with fills only',
          [f"viewBox: {svg.get('viewBox')!r}, {len(paths)} paths"] + problems)


def read_unit(path):
    keys = {}
    section = None
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(('#', ';')):
                continue
            if line.startswith('[') and line.endswith(']'):
                section = line[1:-1]
                continue
            key, _, value = line.partition('=')
            keys.setdefault((section, key.strip()), []).append(value.strip())
    return keys


def check_unit(path):
    unit = read_unit(path)

    def service(key):
        return unit.get(('Service', key), [])

    exec_start = ' '.join(service('ExecStart'))
    check(re.search(r'/clave-server --state-dir \$\{STATE_DIRECTORY\}', exec_start)
          and '@' not in exec_start,
          'clave-server.service runs the installed clave-server in its StateDirectory',
          [f'ExecStart={exec_start}'])
    wanted = {
        'DynamicUser': 'yes', 'NoNewPrivileges': 'yes', 'ProtectSystem': 'strict',
        'ProtectHome': 'yes', 'PrivateTmp': 'yes', 'PrivateDevices': 'yes',
        'StateDirectory': 'clave-server', 'StateDirectoryMode': '0700',
        'CapabilityBoundingSet': '', 'RestrictAddressFamilies': 'AF_INET AF_INET6 AF_UNIX',
    }
    wrong = [f'{k}={service(k)} (want {v!r})' for k, v in wanted.items() if service(k)[-1:] != [v]]
    check(not wrong, 'clave-server.service is hardened (dynamic user, read-only system, no caps)',
          wrong)
    # --max-connections' default (1024) plus CLAVE_TRANSPORT_RESERVED_FDS (64),
    # src/server/clave-transport.h: the unit's system-call filter forbids
    # setrlimit(), so the service cannot raise its own limit.
    limit = service('LimitNOFILE')[-1:]
    check(limit and limit[0].isdigit() and int(limit[0]) >= 1024 + 64,
          'clave-server.service allows the descriptors of its connections (LimitNOFILE)',
          [f'LimitNOFILE={limit}'])


def check_desktop(path, app_id):
    parser = configparser.RawConfigParser(interpolation=None, strict=True)
    parser.optionxform = str
    try:
        parser.read(path, encoding='utf-8')
        entry = parser['Desktop Entry']
    except (configparser.Error, KeyError) as e:
        check(False, 'the desktop file starts clave-desktop with the app icon', [e])
        check(False, 'the desktop file carries the Spanish translation', [])
        return
    check(entry.get('Exec', '').split()[:1] == ['clave-desktop']
          and entry.get('Icon') == app_id
          and os.path.basename(path) == app_id + '.desktop',
          'the desktop file starts clave-desktop with the app icon',
          [f"Exec={entry.get('Exec')} Icon={entry.get('Icon')}"])
    check('x-scheme-handler/clave' in entry.get('MimeType', '').split(';'),
          'the desktop file opens clave: links', [f"MimeType={entry.get('MimeType')}"])
    service = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'data',
                           app_id + '.service.in')
    try:
        with open(service, encoding='utf-8') as f:
            lines = dict(l.strip().split('=', 1) for l in f if '=' in l)
    except OSError as e:
        lines = {'error': str(e)}
    check(entry.get('DBusActivatable') == 'true' and lines.get('Name') == app_id
          and lines.get('Exec', '').endswith('/clave-desktop --gapplication-service'),
          'the app is D-Bus activatable with a matching service file',
          [f"DBusActivatable={entry.get('DBusActivatable')}", str(lines)])
    spanish = {k: entry.get(k) for k in ('Name[es]', 'GenericName[es]', 'Comment[es]', 'Keywords[es]')}
    check(all(spanish.values()) and spanish['GenericName[es]'] != entry.get('GenericName'),
          'the desktop file carries the Spanish translation', [f'{k}={v}' for k, v in spanish.items()])


def check_metainfo(path, app_id):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        check(False, 'the metainfo names the app id and its desktop file', [e])
        check(False, 'the metainfo carries the Spanish translation', [])
        return
    launchable = root.findtext('launchable')
    check(root.findtext('id') == app_id and launchable == app_id + '.desktop',
          'the metainfo names the app id and its desktop file',
          [f"id={root.findtext('id')} launchable={launchable}"])
    lang = '{http://www.w3.org/XML/1998/namespace}lang'
    es = [el for el in root.iter() if el.get(lang) == 'es']
    check(any(el.tag == 'summary' for el in es) and any(el.tag == 'p' for el in es),
          'the metainfo carries the Spanish translation', [f'{len(es)} elements in es'])


def main():
    if len(sys.argv) not in (4, 6):
        print(__doc__, file=sys.stderr)
        return 2
    root, app_id, unit = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
    icons = os.path.join(root, 'data', 'icons', 'hicolor')
    check_app_icon(os.path.join(icons, 'scalable', 'apps', app_id + '.svg'))
    check_symbolic_icon(os.path.join(icons, 'symbolic', 'apps', app_id + '-symbolic.svg'))
    check_unit(unit)
    if len(sys.argv) == 6:
        check_desktop(sys.argv[4], app_id)
        check_metainfo(sys.argv[5], app_id)

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
