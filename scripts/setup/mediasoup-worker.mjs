// Builds mediasoup's C++ worker from the npm tarball against Debian's own libraries, once, and caches
// the binary. Facts behind every step: ../shared/docs/mediasoup-worker-build.md. Two exceptions to
// "Debian's own", both linked statically: OpenSSL is 3.5 built from Debian trixie's source
// (./openssl-static.mjs says why), and libsrtp2 is Debian's source rebuilt on it (./libsrtp-openssl.mjs).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, readdirSync, writeFileSync, readFileSync, renameSync, copyFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { run } from './run.mjs';
import { cachePath } from './cache-names.mjs';
import { builtOpensslVersion, ensureStaticOpenssl } from './openssl-static.mjs';
import { ensureLibsrtpOpenssl } from './libsrtp-openssl.mjs';
import { addSourceFiles, applySourcePatches, WORKER_ADDED_FILES, WORKER_PATCHES } from './source-patches.mjs';
import { say, ticker, SetupError } from './progress.mjs';

export const MEDIASOUP_VERSION = '3.12.16';

/**
 * The cached binary (cache-names.json `worker`). Its name carries the recipe beyond the version:
 *   openssl35: OpenSSL 3.5, static (./openssl-static.mjs), for DTLS and, through libsrtp2 2.5.0 on it
 *     (static; before: Debian's shared libsrtp2 on NSS), for SRTP.
 *   ivonce: that libsrtp2 sets the AES-GCM IV length once per key (LIBSRTP_PATCHES).
 *   slist: that libsrtp2 finds a packet's stream in ./libsrtp-stream-list.c's arrays (LIBSRTP_PATCHES).
 *   gcm128: DTLS-SRTP prefers AEAD_AES_128_GCM (WORKER_PATCHES).
 *   sendbatch: a fan-out encrypts its SRTP viewers' packets in a row, then sends them (./mediasoup-srtp-send-batch.hpp).
 */
export function workerBinaryPath(root) {
  return cachePath(root, 'worker');
}

const STUB_C = 'int levelchat_stub_symbol(void) { return 0; }\n';

// One tiny meson subproject per Debian library, defining the variables worker/meson.build reads.
// The *_lib variables only feed the optional static libmediasoup-worker target, never built: stubs.
const subprojects = (srtp) => ({
  // The static OpenSSL 3.5 (found through -Dpkg_config_path), not Debian's shared 3.0.
  openssl: {
    build: `project('openssl', 'c')
openssl_dep = declare_dependency(dependencies: [dependency('libssl', version: '>= 3.5', static: true), dependency('libcrypto', version: '>= 3.5', static: true)])
stub = static_library('openssl_stub', 'stub.c')
libcrypto_lib = stub
libssl_lib = stub
`,
  },
  nlohmann_json: {
    build: `project('nlohmann_json', 'c', 'cpp')
nlohmann_json_dep = dependency('nlohmann_json')
`,
  },
  libuv: {
    build: `project('libuv', 'c')
libuv_dep = dependency('libuv')
libuv = static_library('libuv_stub', 'stub.c')
`,
    options: `option('build_tests', type: 'boolean', value: false)
option('build_benchmarks', type: 'boolean', value: false)
`,
  },
  // Not Debian's (NSS) libsrtp2: the static one on OpenSSL from ./libsrtp-openssl.mjs. mediasoup
  // includes <srtp.h>, hence the srtp2/ include dir.
  libsrtp2: {
    build: `project('libsrtp2', 'c')
srtp = meson.get_compiler('c').find_library('srtp2', dirs: ['${srtp.libDir}'], static: true)
libsrtp2_dep = declare_dependency(dependencies: [srtp, dependency('libcrypto', version: '>= 3.5', static: true)], include_directories: include_directories('${srtp.includeDir}'))
libsrtp2 = static_library('libsrtp2_stub', 'stub.c')
`,
    options: `option('crypto-library', type: 'string', value: 'openssl')
option('crypto-library-kdf', type: 'feature', value: 'disabled')
option('tests', type: 'feature', value: 'disabled')
`,
  },
  usrsctp: {
    build: `project('usrsctp', 'c')
usrsctp_dep = dependency('usrsctp')
usrsctp = static_library('usrsctp_stub', 'stub.c')
`,
    options: `option('sctp_build_programs', type: 'boolean', value: false)
`,
  },
  'abseil-cpp': {
    build: `project('abseil-cpp', 'c', 'cpp')
absl_container_dep = declare_dependency(dependencies: [
  dependency('absl_flat_hash_map'),
  dependency('absl_flat_hash_set'),
  dependency('absl_btree'),
  dependency('absl_inlined_vector'),
])
absl_container_lib = static_library('absl_stub', 'stub.c')
absl_strings_dep = dependency('absl_strings')
absl_types_dep = dependency('absl_optional')
`,
  },
  catch2: {
    build: `project('catch2', 'c', 'cpp')
catch2_dep = declare_dependency()
`,
  },
});

function prepareSources(workDir, srtp) {
  const SUBPROJECTS = subprojects(srtp);
  const workerDir = join(workDir, 'package', 'worker');
  const subDir = join(workerDir, 'subprojects');
  for (const file of readdirSync(subDir)) {
    const name = file.replace(/\.wrap$/, '');
    if (file.endsWith('.wrap') && name in SUBPROJECTS) rmSync(join(subDir, file));
  }
  for (const [name, { build, options }] of Object.entries(SUBPROJECTS)) {
    const dir = join(subDir, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'meson.build'), build);
    writeFileSync(join(dir, 'stub.c'), STUB_C);
    if (options) writeFileSync(join(dir, 'meson_options.txt'), options);
  }
  // Debian's meson is 1.0.1; the tarball asks for >= 1.1.0 without using anything from 1.1.
  const mesonBuild = join(workerDir, 'meson.build');
  writeFileSync(mesonBuild, readFileSync(mesonBuild, 'utf8').replace("meson_version: '>= 1.1.0'", "meson_version: '>= 1.0.0'"));
  return workerDir;
}

/** Builds (or finds) the cached worker binary; returns a one-line summary. */
export async function ensureMediasoupWorker(root) {
  const binary = workerBinaryPath(root);
  // The worker's DTLS and SRTP are its static OpenSSL, so the binary is only reused with the OpenSSL it
  // was linked with (`<binary>.openssl`): deleting the OpenSSL prefix rebuilds it on the newest source and
  // relinks the worker. The cached libsrtp2 stays (OpenSSL keeps its ABI within 3.x).
  const linkedWith = existsSync(`${binary}.openssl`) ? readFileSync(`${binary}.openssl`, 'utf8').trim() : null;
  if (existsSync(binary) && linkedWith !== null && builtOpensslVersion(root) === linkedWith) {
    return `cached at ${binary} (OpenSSL ${linkedWith}, Debian trixie's source, static; to rebuild on a newer one, delete ${cachePath(root, 'openssl')})`;
  }

  const workDir = join(root, '.cache', `mediasoup-build-${MEDIASOUP_VERSION}`);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });

  const openssl = await ensureStaticOpenssl(root);
  say(`OpenSSL ${openssl.debianVersion} (Debian source, static) ${openssl.cached ? 'found in' : 'built into'} ${openssl.prefix}`);
  const srtp = await ensureLibsrtpOpenssl(root, openssl);
  say(`libsrtp2 ${srtp.debianVersion} on it (Debian source, static) ${srtp.cached ? 'found in' : 'built into'} ${join(srtp.libDir, '..')}`);

  say(`fetching mediasoup@${MEDIASOUP_VERSION} source tarball from the npm registry`);
  const packed = (await run('npm', ['pack', `mediasoup@${MEDIASOUP_VERSION}`, '--silent'], { cwd: workDir })).trim().split('\n').pop();
  await run('tar', ['xzf', packed], { cwd: workDir });
  const workerDir = prepareSources(workDir, srtp);
  for (const line of addSourceFiles(workerDir, WORKER_ADDED_FILES)) say(`added ${line}`);
  for (const line of applySourcePatches(workerDir, WORKER_PATCHES)) say(`patched ${line}`);

  say('configuring the worker build with meson (system libraries + static OpenSSL 3.5 and libsrtp2, no downloads)');
  await run('meson', [
    'setup', '--wrap-mode=nodownload', '--buildtype=release', `-Dpkg_config_path=${openssl.pkgConfigDir}`,
    '-Db_ndebug=true', '-Db_pie=true', '-Db_staticpic=true', 'build',
  ], { cwd: workerDir });

  const jobs = String(os.availableParallelism?.() ?? os.cpus().length);
  say(`compiling the mediasoup worker on ${jobs} core(s); about 2 minutes on 2 cores, once`);
  const tick = ticker('mediasoup worker build', 10000);
  await run('meson', ['compile', '-C', 'build', '-j', jobs, 'mediasoup-worker'], {
    cwd: workerDir,
    onLine: (line) => {
      const m = /^\[(\d+)\/(\d+)\]/.exec(line);
      if (m) tick(`${m[1]}/${m[2]} (${Math.round((100 * Number(m[1])) / Number(m[2]))}%)`);
    },
  });
  const built = join(workerDir, 'build', 'mediasoup-worker');
  if (!existsSync(built)) throw new SetupError(`the worker build finished but ${built} is missing`);
  const libs = execFileSync('ldd', [built], { encoding: 'utf8' }); // (run() keeps only the last lines)
  if (/libsrtp2|libnss3|libssl|libcrypto/.test(libs)) throw new SetupError(`the worker still loads a shared libsrtp2, NSS or OpenSSL:\n${libs}`);
  // Copy under a temporary name then rename, so an interrupted copy never looks like a finished build.
  copyFileSync(built, `${binary}.partial`);
  chmodSync(`${binary}.partial`, 0o755);
  renameSync(`${binary}.partial`, binary);
  writeFileSync(`${binary}.openssl`, `${openssl.debianVersion}\n`);
  rmSync(workDir, { recursive: true, force: true });
  return `built and cached at ${binary} (OpenSSL ${openssl.debianVersion} and libsrtp2 ${srtp.debianVersion} linked statically)`;
}
