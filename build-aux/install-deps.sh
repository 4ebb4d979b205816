#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian 12 packages needed to build, run and test Clave Desktop.
# Shared by run-demo.sh and run-tests.sh; uses sudo only when not root.
set -euo pipefail

packages=(
  # toolchain
  gcc libc6-dev meson ninja-build pkg-config python3
  # fuzzing (tests/fuzz): clang with libFuzzer and the sanitizer runtimes;
  # llvm-symbolizer, so that a crash report names files and lines
  clang libclang-rt-14-dev llvm
  # libraries (floors in meson.build)
  libglib2.0-dev libglib2.0-bin libgtk-4-dev libadwaita-1-dev libsoup-3.0-dev
  libjson-glib-dev libgnutls28-dev libsqlite3-dev
  # runtime pieces: TLS for GIO, icons, fonts, MIME sniffing for icon loading
  glib-networking adwaita-icon-theme librsvg2-common shared-mime-info fonts-cantarell
  # translations and data validation
  gettext desktop-file-utils appstream
  # headless GUI tests: X server and a private session bus
  xvfb xauth dbus-daemon
  # smartcards: OpenSC's PKCS#11 module and p11-kit, reader and card events
  # from pcscd (libpcsclite); test PKI and SoftHSM2 tokens
  libp11-kit-dev libpcsclite-dev opensc opensc-pkcs11 gnutls-bin softhsm2
  # PC/SC card tests: pcscd, vsmartcard's virtual reader, a libcacard card
  # from NSS databases
  pcscd vsmartcard-vpcd libcacard-dev libnss3-tools
  # Cl@ve Movil: QR codes on the demo website (libqrencode) and read by the app (zbar)
  libqrencode-dev libzbar-dev
  # the demo website's script, run by test-demo-site
  nodejs
  # the text of the app's PDF receipts, read back by test-permanente
  poppler-utils
)

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} Debian packages are installed"
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
