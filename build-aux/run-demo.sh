#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The README's run command: installs what is needed, builds, starts
# clave-server with the demo people on loopback and opens Clave Desktop
# pointed at it. The server stops when the app closes. Works from any
# directory; safe to run again (the demo state and the profile are kept).
set -euo pipefail

cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
root=$PWD

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run-demo: no graphical session (DISPLAY or WAYLAND_DISPLAY); run it from a desktop" >&2
  exit 1
fi

bash build-aux/install-deps.sh

builddir=$root/build
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir"
fi
ninja -C "$builddir"

server=$builddir/src/server/clave-server
admin=$builddir/src/server/clave-admin
app=$builddir/src/app/clave-desktop
state=${XDG_STATE_HOME:-$HOME/.local/state}/clave-desktop-demo/server
mkdir -p "$state"
chmod 700 "$state"

# seed-demo is idempotent: it adds what a demo state of an older version
# lacks (the demo website's relying party) and keeps everything else.
"$admin" --state-dir "$state" seed-demo
ca=$("$server" --state-dir "$state" --print-ca-path)

# Demo certificates: the test PKI (roots laid out like the DNIe and FNMT
# ones, PKCS#12 files for the demo people), trusted by this demo service
# only. Never use them anywhere else.
pki=$(dirname "$state")/pki
sh tests/fixtures/make-test-pki.sh "$pki"

server_pid=
log=$(mktemp "${TMPDIR:-/tmp}/clave-server.XXXXXX")
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -f "$log"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Sets url to the address the server listens on, or leaves it empty if the
# server exits first (port taken).
url=
start_server() {
  local i
  : >"$log"
  "$server" --state-dir "$state" --address 127.0.0.1 --port "$1" \
    --trust-anchors "$pki/anchors" >"$log" 2>&1 &
  server_pid=$!
  for i in $(seq 1 200); do
    url=$(sed -n 's/^clave-server listening on //p' "$log" | head -n 1)
    [ -n "$url" ] && return 0
    if ! kill -0 "$server_pid" 2>/dev/null; then
      wait "$server_pid" 2>/dev/null || true
      server_pid=
      return 0
    fi
    sleep 0.1
  done
}

start_server 8443
if [ -z "$url" ] && [ -z "$server_pid" ]; then
  echo "run-demo: port 8443 is busy, using a free port"
  start_server 0
fi
if [ -z "$url" ]; then
  echo "run-demo: clave-server did not start:" >&2
  cat "$log" >&2
  exit 1
fi

# The app's profile lives in a key file, apart from the desktop's own dconf.
export GSETTINGS_SCHEMA_DIR=$builddir/data GSETTINGS_BACKEND=keyfile
gsettings set io.github.clavedesktop.Clave service-url "$url"
gsettings set io.github.clavedesktop.Clave ca-file "$ca"

cat <<EOF

Clave Desktop demo
  service:   $url (CA: $ca)
  state dir: $state

People in the demo service:
  document    contrast data                          name                in Cl@ve
  12345678Z   validity date 04/05/2031               Lucía García Pérez  yes (advanced)
  00000023T   issue date 10/03/2015 (permanent DNI)  Antonio Ruiz Gómez  yes (advanced)
  X1234567L   support number E01234567               Anna Müller         yes (advanced)
  87654321X   validity date 30/11/2029               Marta Vidal Soler   no

The SMS and e-mail codes go to the service's outbox; read them in another terminal with:
  $admin --state-dir '$state' outbox

Demo certificate files (password: clave-test), to import in the app:
  $pki/lucia-fnmt.p12   Lucía: activate this computer with a certificate
  $pki/marta-fnmt.p12   Marta: register in Cl@ve with a certificate

EOF

# The demo relying-party website (log in with Cl@ve Móvil); the browser
# does not know the demo CA, so it asks to accept the certificate once.
echo "Demo website (Sede electrónica de demostración): $url/demo/"
if command -v xdg-open >/dev/null 2>&1; then xdg-open "$url/demo/" >/dev/null 2>&1 || true; fi

# The app speaks the desktop's language from the build tree too: its
# catalogues are the build's (po/), not installed ones.
CLAVE_DESKTOP_LOCALEDIR="$builddir/po" "$app" "$@"
