#!/usr/bin/env bash
# Installs the Debian packages Parley needs to build, test, fuzz and run.
# Idempotent: does nothing when every package is already present.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libuv1-dev libhttp-parser-dev libwslay-dev libjansson-dev
  libsqlite3-dev libsodium-dev libcmocka-dev
  libpq-dev postgresql-15
  redis-server libhiredis-dev
  libssl-dev uthash-dev
  libutf8proc-dev libexttextcat-dev libcurl4-openssl-dev
  libmagic-dev
  apertium apertium-eng-spa apertium-fr-es apertium-es-pt apertium-spa-cat apertium-eng-cat
  python3 python3-yaml python3-aiosmtpd python3-cryptography valgrind
  chromium fonts-liberation
  tzdata
  wamerican wspanish wfrench wngerman witalian wportuguese
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

# The browser tests need Node.js 20 or newer (playwright-core); Debian 12's
# own nodejs is 18, so it is installed only when no node exists at all.
if ! command -v node >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages: the browser tests' playwright-core (it drives Debian's
# chromium and never downloads a browser), the OpenAPI validators of
# tests/openapi (swagger-parser, openapi-schema-validator, Ajv) and the
# data the strategies are built from (word lists, labelled corpora), and
# the Node.js peer servers of make bench (bench/peers/*: ws, better-sqlite3,
# argon2). Every folder with a lockfile. better-sqlite3 and argon2 are
# native: a prebuilt binary when one is at hand, else node-gyp compiles them
# (build-essential, python3), against the installed Node.js headers when
# there are some rather than downloading them.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi
here=$(cd "$(dirname "$0")/.." && pwd)
for lock in "$here"/tests/*/package-lock.json "$here"/data/*/package-lock.json \
            "$here"/bench/peers/*/package-lock.json; do
  [ -f "$lock" ] || continue
  dir=$(dirname "$lock")
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
     [ "$lock" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "deps: npm ci in ${dir#$here/}"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
