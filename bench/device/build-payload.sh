#!/bin/sh
# Builds what bench/device/fanout-capacity.sh needs on a machine that has neither node nor ffmpeg
# (nor gcc, nor the worker's Debian libraries) into .cache/device/, to be carried there as one path:
#   node.gz            this machine's node, stripped (the device has glibc >= 2.36, like Debian 12)
#   sfu-fanout.mjs     bench/sfu-fanout with mediasoup's JS and LevelChat's code bundled (esbuild)
#   rtp-replay-child.js  the replay sender it starts (bundled)
#   mediasoup-worker   the set-up's cached worker (OpenSSL 3.5 and libsrtp2 on it, static)
#   lib.tar.gz         lib/: the worker's shared libraries that are not glibc; lib-fallback/:
#                      libstdc++ and libgcc_s, used only if the device's own do not run node
#   udp-sink           bench/lib/udp-sink.c, built here
#   feed.rtp           BENCH_RECORD_SECONDS (20) of the bench's ffmpeg feed, recorded here, replayed
#                      (looped) there
# Run from the repository root after the set-up (npm start / npm test) and a build:
#   npm run build && sh bench/device/build-payload.sh
set -eu
OUT=.cache/device
WORKER=.cache/$(node -p "require('./scripts/setup/cache-names.json').worker")
say() { echo "[device payload] $*"; }
[ -x "$WORKER" ] || { echo "no $WORKER: run the set-up first (npm start or npm test)"; exit 1; }
[ -f dist/bench/sfu-fanout.js ] || { echo "no dist/bench/sfu-fanout.js: npm run build first"; exit 1; }
rm -rf "$OUT.partial" && mkdir -p "$OUT.partial/lib" "$OUT.partial/lib-fallback"
P="$OUT.partial"

say "node $(node --version): stripping and compressing (gzip -9, ~15 s)"
strip -o "$P/node" "$(command -v node)"
gzip -9 "$P/node"

say "bundling sfu-fanout and the replay sender with esbuild"
BANNER="import { createRequire as __lcCreateRequire } from 'node:module'; const require = __lcCreateRequire(import.meta.url);"
node_modules/.bin/esbuild dist/bench/sfu-fanout.js --bundle --platform=node --format=esm --target=node20 \
  --outfile="$P/sfu-fanout.mjs" --banner:js="$BANNER" --log-level=warning
node_modules/.bin/esbuild dist/bench/lib/rtp-replay-child.js --bundle --platform=node --format=esm --target=node20 \
  --outfile="$P/rtp-replay-child.js" --log-level=warning

say "worker $WORKER and its shared libraries (glibc's own stay behind)"
cp "$WORKER" "$P/mediasoup-worker"
for lib in $(ldd "$WORKER" | awk '$3 ~ /^\// {print $3}'); do
  case "$(basename "$lib")" in
    libc.so.*|libm.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*) ;;
    libstdc++.so.*|libgcc_s.so.*) cp -L "$lib" "$P/lib-fallback/" ;;
    *) cp -L "$lib" "$P/lib/" ;;
  esac
done
tar -czf "$P/lib.tar.gz" -C "$P" lib lib-fallback && rm -rf "$P/lib" "$P/lib-fallback"

say "UDP sink (gcc -O2)"
gcc -O2 -o "$P/udp-sink" bench/lib/udp-sink.c

export BENCH_RECORD_SECONDS=${BENCH_RECORD_SECONDS:-20}
say "recording the feed ($BENCH_RECORD_SECONDS s of ffmpeg, real time)"
node dist/bench/record-feed.js "$P/feed.rtp" single

{
  echo "built $(date -u +%FT%TZ) on $(uname -m), $(ldd --version | head -1)"
  echo "node $(node --version); mediasoup worker $(basename "$WORKER"); $(ffmpeg -hide_banner -version | head -1)"
  (cd "$P" && ls -l && sha256sum $(ls | grep -v MANIFEST))
} > "$P/MANIFEST.txt"
rm -rf "$OUT" && mv "$P" "$OUT"
say "done: $OUT, $(du -sm "$OUT" | cut -f1) MiB (the device run carries at most 64 MiB)"
