#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Translation checks, printed as TAP.

Usage: check-po.py SOURCE_ROOT

Fails when po/POTFILES.in misses a source file with translatable strings,
when a string that xgettext extracts from POTFILES.in is missing, untranslated
or fuzzy in a language of po/LINGUAS, or when `msgfmt --check` rejects a
catalogue.
"""

import ast
import os
import re
import subprocess
import sys
import tempfile

# The keywords of meson's i18n 'glib' preset (po/meson.build uses it), so
# that this check sees exactly the strings the clave-desktop-pot target sees.
XGETTEXT_ARGS = [
    '--from-code=UTF-8',
    '--keyword=_',
    '--keyword=N_',
    '--keyword=C_:1c,2',
    '--keyword=NC_:1c,2',
    '--keyword=g_dcgettext:2',
    '--keyword=g_dngettext:2,3',
    '--keyword=g_dpgettext2:2c,3',
    '--keyword=ngettext:1,2',
]

# Folders whose user-visible strings must be translatable (see the brief:
# server output and clave-admin are English only).
SCANNED_DIRS = ['src/app', 'src/client', 'src/common']
SOURCE_SUFFIXES = ('.c', '.h', '.ui')
C_MARK = re.compile(r'(?<![A-Za-z0-9_])(?:_|N_|C_|NC_|ngettext|g_dngettext|g_dpgettext2)\s*\(')
UI_MARK = re.compile(r'translatable\s*=\s*"(?:yes|true|1)"', re.IGNORECASE)


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, ok, name, details=()):
        self.n += 1
        if not ok:
            self.failed += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {name}")
        for line in details:
            print(f'# {line}')
        sys.stdout.flush()
        # meson --print-errorlogs shows stderr, so a failure explains itself in CI logs.
        if not ok:
            print(f'FAIL: {name}', *(f'  {line}' for line in details), sep='\n', file=sys.stderr)


def read_list(path):
    with open(path, encoding='utf-8') as f:
        return [line.strip() for line in f
                if line.strip() and not line.lstrip().startswith('#')]


def parse_po(path):
    """Returns a list of entries: dicts with ctxt, id, plural, strs, fuzzy.
    Obsolete (#~) entries are skipped; the header (empty msgid) is kept."""
    entries = []
    cur = None
    field = None

    def flush():
        nonlocal cur
        if cur is not None and cur.get('id') is not None:
            entries.append(cur)
        cur = None

    with open(path, encoding='utf-8') as f:
        for raw in f:
            line = raw.rstrip('\n')
            if not line.strip():
                flush()
                field = None
                continue
            if line.startswith('#~'):
                continue
            if line.startswith('#'):
                if cur is not None and cur.get('id') is not None:
                    flush()
                if cur is None:
                    cur = {'ctxt': None, 'id': None, 'plural': None, 'strs': {}, 'fuzzy': False}
                if line.startswith('#,') and 'fuzzy' in line[2:].replace(',', ' ').split():
                    cur['fuzzy'] = True
                continue
            m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$', line)
            if m:
                key, index, value = m.group(1), m.group(2), ast.literal_eval(m.group(3))
                if key in ('msgctxt', 'msgid') and cur is not None and cur.get('id') is not None:
                    flush()
                if cur is None:
                    cur = {'ctxt': None, 'id': None, 'plural': None, 'strs': {}, 'fuzzy': False}
                if key == 'msgctxt':
                    cur['ctxt'] = value
                    field = ('ctxt',)
                elif key == 'msgid':
                    cur['id'] = value
                    field = ('id',)
                elif key == 'msgid_plural':
                    cur['plural'] = value
                    field = ('plural',)
                else:
                    i = int(index) if index is not None else 0
                    cur['strs'][i] = value
                    field = ('strs', i)
                continue
            if line.startswith('"') and cur is not None and field is not None:
                value = ast.literal_eval(line.strip())
                if field[0] == 'strs':
                    cur['strs'][field[1]] += value
                else:
                    cur[field[0]] += value
                continue
            raise ValueError(f'{path}: cannot parse line: {line!r}')
    flush()
    return entries


def key_of(entry):
    return (entry['ctxt'], entry['id'], entry['plural'])


def describe(key):
    ctxt, msgid, plural = key
    text = msgid if len(msgid) <= 60 else msgid[:57] + '...'
    return (f'[{ctxt}] ' if ctxt else '') + repr(text) + (' (plural)' if plural else '')


def main():
    if len(sys.argv) != 2:
        print('usage: check-po.py SOURCE_ROOT', file=sys.stderr)
        return 2
    root = os.path.abspath(sys.argv[1])
    podir = os.path.join(root, 'po')
    tap = Tap()
    print('# checking translations in ' + podir)

    linguas = read_list(os.path.join(podir, 'LINGUAS'))
    languages = [w for line in linguas for w in line.split()]
    potfiles = read_list(os.path.join(podir, 'POTFILES.in'))

    # Later tests would only repeat this failure, so the plan is fixed here.
    print(f'1..{4 + 2 * len(languages)}')

    tap.result('es' in languages, 'po/LINGUAS lists es', [f'LINGUAS: {languages}'])

    missing_files = [p for p in potfiles if not os.path.isfile(os.path.join(root, p))]
    tap.result(not missing_files, 'every file in po/POTFILES.in exists',
               [f'missing: {p}' for p in missing_files])

    listed = set(potfiles)
    unlisted = []
    for d in SCANNED_DIRS:
        for dirpath, _dirs, files in os.walk(os.path.join(root, d)):
            for name in sorted(files):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                with open(path, encoding='utf-8', errors='replace') as f:
                    text = f.read()
                mark = UI_MARK if name.endswith('.ui') else C_MARK
                if mark.search(text) and rel not in listed:
                    unlisted.append(rel)
    tap.result(not unlisted,
               'every source file with translatable strings is in po/POTFILES.in',
               [f'not listed: {p}' for p in sorted(unlisted)])

    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, 'template.pot')
        proc = subprocess.run(
            ['xgettext', *XGETTEXT_ARGS, '--directory=' + root,
             '--files-from=' + os.path.join(podir, 'POTFILES.in'),
             '--output=' + pot],
            capture_output=True, text=True)
        ok = proc.returncode == 0 and os.path.isfile(pot)
        tap.result(ok, 'xgettext extracts the template from po/POTFILES.in',
                   (proc.stderr.strip().splitlines() if proc.stderr.strip() else []))
        template = [e for e in parse_po(pot) if e['id']] if ok else []

    print(f'# {len(template)} translatable strings in the template')

    for lang in languages:
        po = os.path.join(podir, lang + '.po')
        if not os.path.isfile(po):
            tap.result(False, f'{lang}.po passes msgfmt --check', [f'{po} does not exist'])
            tap.result(False, f'{lang}.po translates every string of the template')
            continue

        proc = subprocess.run(['msgfmt', '--check', '--statistics', '-o', os.devnull, po],
                              capture_output=True, text=True, env={**os.environ, 'LC_ALL': 'C'})
        stats = proc.stderr.strip().splitlines()
        clean = (proc.returncode == 0 and stats
                 and 'fuzzy' not in stats[-1] and 'untranslated' not in stats[-1])
        tap.result(bool(clean), f'{lang}.po passes msgfmt --check with no fuzzy or untranslated strings',
                   stats)

        entries = {key_of(e): e for e in parse_po(po) if e['id']}
        problems = []
        for t in template:
            k = key_of(t)
            e = entries.get(k)
            if e is None:
                problems.append('missing: ' + describe(k))
            elif e['fuzzy']:
                problems.append('fuzzy: ' + describe(k))
            elif not e['strs'] or any(not s for s in e['strs'].values()):
                problems.append('untranslated: ' + describe(k))
        tap.result(bool(template) and not problems,
                   f'{lang}.po translates every string of the template',
                   problems if template else ['the template is empty'])

    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
