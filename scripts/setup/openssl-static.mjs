// OpenSSL 3.5 for the mediasoup worker, from Debian trixie's source package, built as static libraries.
// Bookworm's OpenSSL is 3.0, whose AES-GCM is the AVX (AES-NI + PCLMUL) code; 3.5 adds VAES/AVX-512 and
// VAES/AVX2 AES-GCM, picked at run time by CPUID where the CPU has them. On the 2-core VM (AMD EPYC,
// Zen 5) srtp_protect() of a 1,200-byte packet with AEAD_AES_128_GCM fell from ~390 to ~176 ns (one
// session and 300 round-robin sessions alike; bench/srtp-suites.ts), and that is paid once per
// forwarded packet per WebRTC viewer. mediasoup's own build links a static OpenSSL too (its openssl
// wrap); this is the same, from Debian's source with Debian's patches. The worker's DTLS (libssl) and
// libsrtp2's crypto (libcrypto) both use it, so one OpenSSL is in the process.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { run } from './run.mjs';
import { fetchDebianSource } from './debian-source.mjs';
import { cachePath } from './cache-names.mjs';
import { say, ticker, SetupError } from './progress.mjs';

/** The Debian release the source comes from, and the OpenSSL series the worker is built and measured with. */
const SUITE = 'trixie';
const SERIES = '3.5.';

/** The prefix's record of the Debian source it was built from, written last (a prefix without it is unfinished). */
const stampOf = (prefix) => join(prefix, 'debian-version');

/** The Debian version of the finished static OpenSSL in the cache, or null when there is none. */
export function builtOpensslVersion(root) {
  const stamp = stampOf(cachePath(root, 'openssl'));
  return existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : null;
}

/**
 * Builds (or finds) the static OpenSSL. Returns its pkg-config directory (libssl.pc, libcrypto.pc,
 * openssl.pc) for the libsrtp2 and worker builds, and the Debian version it came from.
 * @returns {Promise<{ prefix: string, pkgConfigDir: string, debianVersion: string, cached: boolean }>}
 */
export async function ensureStaticOpenssl(root) {
  const prefix = cachePath(root, 'openssl');
  const found = { prefix, pkgConfigDir: join(prefix, 'lib', 'pkgconfig') };
  const cached = builtOpensslVersion(root);
  if (cached) return { ...found, debianVersion: cached, cached: true };

  const workDir = join(root, '.cache', 'openssl-build');
  const { tree, version } = await fetchDebianSource('openssl', workDir, { suite: SUITE, upstream: SERIES });
  rmSync(prefix, { recursive: true, force: true });
  say(`configuring OpenSSL ${version} (Debian ${SUITE} source): static, -fPIC, no tests or docs`);
  await run('./Configure', [
    'no-shared', 'no-tests', 'no-docs', '-fPIC',
    `--prefix=${prefix}`, '--libdir=lib',
    // No system openssl.cnf: bookworm's is written for its own 3.0; the worker needs no configuration.
    `--openssldir=${join(prefix, 'ssl')}`,
  ], { cwd: tree });

  const jobs = String(os.availableParallelism?.() ?? os.cpus().length);
  say(`compiling libcrypto and libssl on ${jobs} core(s); about a minute on 2 cores, once`);
  const tick = ticker('OpenSSL build', 10000);
  let compiled = 0;
  await run('make', [`-j${jobs}`, 'build_libs'], {
    cwd: tree,
    onLine: (line) => {
      if (/\s-c\s/.test(line)) compiled += 1;
      tick(`${compiled} files compiled`);
    },
  });
  await run('make', ['install_dev'], { cwd: tree });
  for (const file of ['lib/libcrypto.a', 'lib/libssl.a', 'lib/pkgconfig/libcrypto.pc', 'lib/pkgconfig/libssl.pc']) {
    if (!existsSync(join(prefix, file))) throw new SetupError(`the OpenSSL build finished but ${join(prefix, file)} is missing`);
  }
  const built = /^Version:\s*(\S+)/m.exec(readFileSync(join(found.pkgConfigDir, 'libcrypto.pc'), 'utf8'))?.[1] ?? '?';
  if (!built.startsWith(SERIES)) throw new SetupError(`the OpenSSL built from Debian ${version} says it is ${built}, not ${SERIES}x`);
  writeFileSync(stampOf(prefix), `${version}\n`);
  rmSync(workDir, { recursive: true, force: true });
  return { ...found, debianVersion: version, cached: false };
}
