#!/bin/sh
# One capacity run of bench/sfu-fanout on the 16-core device (no node, no ffmpeg, no gcc there):
# everything comes from .cache/device, made on the build machine by bench/device/build-payload.sh.
# The mediasoup workers get 2 CPUs (SERVER_CPUS), the load generator (replay + UDP sink) the others
# (BENCH_LOADGEN_CPUS); the broadcast is the recorded ffmpeg feed, replayed at its own pacing.
#   1. one worker alone on the first server CPU: plain RTP vs SRTP AES-128-GCM vs AES-CM-SHA1-80
#      at SINGLE_VIEWERS (viewers per dedicated core, the 500-viewer goal)
#   2. the LevelChat cascade, 2 workers on the 2 server CPUs: plain vs SRTP AES-128-GCM at
#      CASCADE_VIEWERS
# Run from the repository root:  sh bench/device/fanout-capacity.sh
# Logs go to stdout and, when $OUT is set, to $OUT/fanout-capacity-{single,cascade}.log (written as
# the runs go, so a cut-short run still leaves what it measured).
set -eu
P=.cache/device
[ -f "$P/node.gz" ] || { echo "no $P/node.gz: run bench/device/build-payload.sh on the build machine and carry $P"; exit 2; }
SERVER_CPUS=${SERVER_CPUS:-0,1}
FIRST_CPU=${SERVER_CPUS%%,*}
export BENCH_LOADGEN_CPUS=${BENCH_LOADGEN_CPUS:-2-15}
SINGLE_VIEWERS=${SINGLE_VIEWERS:-400,600,800}
CASCADE_VIEWERS=${CASCADE_VIEWERS:-1000,1400}
LOGS=${OUT:-${TMPDIR:-/tmp}}

W=${TMPDIR:-/tmp}/levelchat-device
rm -rf "$W" && mkdir -p "$W"
gzip -dc "$P/node.gz" > "$W/node"
tar -xzf "$P/lib.tar.gz" -C "$W"
cp "$P/mediasoup-worker" "$P/udp-sink" "$W/" && chmod +x "$W/node" "$W/mediasoup-worker" "$W/udp-sink"
export LD_LIBRARY_PATH="$W/lib"
if ! "$W/node" -e 0 2>/dev/null || ldd "$W/mediasoup-worker" | grep -q 'not found'; then
  echo "the device's libstdc++/libgcc_s do not do: using the carried ones"
  export LD_LIBRARY_PATH="$W/lib:$W/lib-fallback"
fi
if ldd "$W/mediasoup-worker" | grep 'not found'; then echo "the worker cannot load the libraries above"; exit 1; fi
"$W/node" -e 'console.log(`node ${process.version} runs`)'

export MEDIASOUP_WORKER_BIN="$W/mediasoup-worker" BENCH_UDP_SINK_BIN="$W/udp-sink"
export BENCH_SOURCE="replay:$PWD/$P/feed.rtp"
export BENCH_NICE=${BENCH_NICE:-0} BENCH_DURATION_S=${BENCH_DURATION_S:-10} BENCH_WARMUP_S=${BENCH_WARMUP_S:-3}
if ! command -v taskset >/dev/null; then echo "no taskset here: running unpinned (BENCH_PIN=0)"; export BENCH_PIN=0; fi
echo "machine: $(nproc) CPUs, $(uname -r); server CPUs $SERVER_CPUS, load generator CPUs $BENCH_LOADGEN_CPUS"
head -2 "$P/MANIFEST.txt"

echo "== 1/2: one worker on CPU $FIRST_CPU, viewers $SINGLE_VIEWERS"
BENCH_SIDES=single BENCH_WORKER_CPUS=$FIRST_CPU LEVELCHAT_WORKERS=1 BENCH_VIEWERS=$SINGLE_VIEWERS \
  BENCH_VIEWER_TRANSPORT=plain,srtp BENCH_SRTP_SUITE=AEAD_AES_128_GCM,AES_CM_128_HMAC_SHA1_80 \
  "$W/node" "$P/sfu-fanout.mjs" 2>&1 | tee "$LOGS/fanout-capacity-single.log"

echo "== 2/2: cascade, 2 workers on CPUs $SERVER_CPUS, viewers $CASCADE_VIEWERS"
BENCH_SIDES=cascade BENCH_WORKER_CPUS=$SERVER_CPUS LEVELCHAT_WORKERS=2 BENCH_VIEWERS=$CASCADE_VIEWERS \
  BENCH_VIEWER_TRANSPORT=plain,srtp BENCH_SRTP_SUITE=AEAD_AES_128_GCM \
  "$W/node" "$P/sfu-fanout.mjs" 2>&1 | tee "$LOGS/fanout-capacity-cascade.log"
