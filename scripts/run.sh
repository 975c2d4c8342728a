#!/usr/bin/env bash
# Starts parleyd for a local try-out: creates a demo admin on first run
# (password printed once and kept in DATA_DIR/demo-admin.txt, mode 600).
set -euo pipefail
binary=$1
listen=$2
data_dir=$3

mkdir -p "$data_dir"
chmod 700 "$data_dir"
credentials="$data_dir/demo-admin.txt"
if [ ! -f "$credentials" ]; then
  password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20)
  "$binary" admin create --data-dir "$data_dir" --email admin@parley.local --name "Demo Admin" \
    --password "$password" >/dev/null
  umask 077
  printf 'email: admin@parley.local\npassword: %s\n' "$password" > "$credentials"
fi
echo "Demo admin login (agent console): $(tr '\n' ' ' < "$credentials")"
exec "$binary" --listen "$listen" --data-dir "$data_dir"
