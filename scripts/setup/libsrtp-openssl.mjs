// libsrtp2 on OpenSSL for the mediasoup worker. Debian's libsrtp2 is built on NSS (--enable-nss in
// debian/rules), which encrypted ~2x slower per packet than the same 2.5.0 code on OpenSSL (69k vs
// 140k forwarded SRTP pkt/s per core on a 2-core VM; ../shared/docs/platform-facts.md "SRTP cost").
// So the set-up rebuilds Debian's own source package (Debian's patches applied) with
// -Dcrypto-library=openssl as a static, position-independent library in a cache prefix; the worker
// links it statically (no libsrtp2 / libnss3 at run time). Builds in seconds. Its OpenSSL is the static
// 3.5 of ./openssl-static.mjs (the worker's DTLS uses the same one). Two source changes on top
// (./source-patches.mjs, LIBSRTP_PATCHES): AES-GCM sets its IV length once per key, not per packet; and
// the streams are looked up by SSRC in ./libsrtp-stream-list.c (arrays, one cache line) instead of
// 2.5.0's linked list, through libsrtp's own SRTP_NO_STREAM_LIST extension point.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './run.mjs';
import { fetchDebianSource } from './debian-source.mjs';
import { addSourceFiles, applySourcePatches, LIBSRTP_ADDED_FILES, LIBSRTP_PATCHES, LIBSRTP_STREAM_LIST_FILE } from './source-patches.mjs';
import { cachePath } from './cache-names.mjs';
import { say, SetupError } from './progress.mjs';

/** The libsrtp mediasoup 3.12.16 is written against (its libsrtp2.wrap): Debian bookworm ships it. */
export const LIBSRTP_VERSION = '2.5.0';

/** libsrtp's test programs (its meson test names) run on every build: all but the socket ones. */
const LIBSRTP_TESTS = ['datatypes_driver', 'cipher_driver', 'kernel_driver', 'srtp_driver', 'replay_driver', 'rdbx_driver', 'roc_driver', 'test_srtp'];

/**
 * Builds (or finds) libsrtp2 on OpenSSL. Its prefix (cache-names.json `libsrtp`, whose name's recipe is
 * openssl35 = -Dcrypto-library=openssl against ./openssl-static.mjs, ivonce and slist = LIBSRTP_PATCHES) holds
 * `lib/libsrtp2.a`, `include/srtp2/*.h`, and `debian-version` (which Debian source it was built from),
 * written last, so a prefix without it is an unfinished build. Returns the directories the worker
 * build links with and the Debian version it came from.
 * @param {{ pkgConfigDir: string }} openssl the static OpenSSL to build on
 * @returns {Promise<{ libDir: string, includeDir: string, debianVersion: string, cached: boolean }>}
 */
export async function ensureLibsrtpOpenssl(root, openssl) {
  const prefix = cachePath(root, 'libsrtp');
  const stamp = join(prefix, 'debian-version');
  const found = { libDir: join(prefix, 'lib'), includeDir: join(prefix, 'include', 'srtp2') };
  if (existsSync(stamp)) return { ...found, debianVersion: readFileSync(stamp, 'utf8').trim(), cached: true };

  const workDir = join(root, '.cache', `libsrtp2-build-${LIBSRTP_VERSION}`);
  const { tree, version } = await fetchDebianSource('libsrtp2', workDir, { upstream: `${LIBSRTP_VERSION}-` });
  for (const line of addSourceFiles(tree, LIBSRTP_ADDED_FILES)) say(`added to libsrtp2 ${line}`);
  for (const line of applySourcePatches(tree, LIBSRTP_PATCHES)) say(`patched libsrtp2 ${line}`);
  say(`building libsrtp2 ${version} (Debian source) on the static OpenSSL: static, -fPIC, meson -Dcrypto-library=openssl`);
  rmSync(prefix, { recursive: true, force: true });
  await run('meson', [
    'setup', '--wrap-mode=nodownload', '--buildtype=release', `--prefix=${prefix}`, '--libdir=lib',
    `-Dpkg_config_path=${openssl.pkgConfigDir}`,
    '-Ddefault_library=static', '-Db_staticpic=true', '-Db_ndebug=true',
    // What mediasoup's own libsrtp2.wrap build asks for (worker/meson.build's default_options).
    '-Dcrypto-library=openssl', '-Dcrypto-library-kdf=disabled',
    // Its own test programs too: they run below, on every build.
    '-Dtests=enabled', '-Dpcap-tests=disabled', '-Ddoc=disabled', '-Dfuzzer=disabled',
    'build',
  ], { cwd: tree });
  await run('meson', ['compile', '-C', 'build'], { cwd: tree });
  // libsrtp's own tests of what the worker relies on, with the changes above: test vectors per cipher,
  // protect/unprotect, ROC, replay, stream add/remove/update and the stream-list contract (srtp_driver).
  // Not rtpw_test*: they send over sockets with sleeps and cover nothing more of the library (~25 s).
  say(`testing libsrtp2 with its own suites: ${LIBSRTP_TESTS.join(', ')}`);
  await run('meson', ['test', '-C', 'build', '--no-rebuild', '--print-errorlogs', ...LIBSRTP_TESTS], { cwd: tree });
  await run('meson', ['install', '-C', 'build', '--quiet'], { cwd: tree });
  const archive = join(found.libDir, 'libsrtp2.a');
  if (!existsSync(archive) || !existsSync(join(found.includeDir, 'srtp.h'))) {
    throw new SetupError(`the libsrtp2 build finished but ${archive} or its headers are missing`);
  }
  // The library must really call OpenSSL: its AES-GCM / AES-ICM / HMAC come from libcrypto.
  const symbols = execFileSync('nm', ['-u', archive], { encoding: 'utf8' }); // (run() keeps only the last lines)
  if (!/\bEVP_EncryptUpdate\b/.test(symbols) || /\bNSS_/.test(symbols)) throw new SetupError(`${archive} is not built on OpenSSL`);
  // ...and its stream list must be ours (2.5.0's own passes the tests too).
  const members = execFileSync('ar', ['t', archive], { encoding: 'utf8' });
  if (!members.includes('stream_list_array.c.o')) throw new SetupError(`${archive} lacks ${LIBSRTP_STREAM_LIST_FILE}`);
  writeFileSync(stamp, `${version}\n`);
  rmSync(workDir, { recursive: true, force: true });
  return { ...found, debianVersion: version, cached: false };
}
