#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The app run from the build tree speaks Spanish to a Spanish desktop.

meson runs this with LANGUAGE=es and CLAVE_DESKTOP_LOCALEDIR set to the
build's po/ folder, as build-aux/run-demo.sh runs the app; before, the app
looked for its catalogue only where it is installed, and spoke English."""

import subprocess
import sys

app, run_demo = sys.argv[1], sys.argv[2]
checks = []


def check(ok, what, detail=''):
    checks.append((ok, what, detail))


out = subprocess.run([app, '--help'], capture_output=True, text=True, timeout=60)
check(out.returncode == 0, 'clave-desktop --help exits with 0', out.stderr)
check('Iniciar sin ventana' in out.stdout,
      'its own option descriptions are in Spanish', out.stdout)

with open(run_demo, encoding='utf-8') as f:
    script = f.read()
check('CLAVE_DESKTOP_LOCALEDIR="$builddir/po"' in script,
      'run-demo.sh points the app at the build\'s catalogues')

print(f'1..{len(checks)}')
failed = 0
for i, (ok, what, detail) in enumerate(checks, 1):
    print(f'{"ok" if ok else "not ok"} {i} {what}')
    if not ok:
        failed += 1
        for line in detail.splitlines()[:20]:
            print(f'# {line}')
sys.exit(1 if failed else 0)
