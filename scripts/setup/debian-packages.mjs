import { run, commandExists } from './run.mjs';
import { say, ticker, SetupError } from './progress.mjs';

/** Debian packages the stack runs on. */
export const RUNTIME_PACKAGES = ['ffmpeg', 'redis-server'];

/**
 * What the mediasoup worker is built with (see ../shared/docs/mediasoup-worker-build.md). No
 * libssl-dev or libsrtp2-dev: the set-up builds OpenSSL 3.5 (perl and make run its build) and libsrtp2
 * on it from Debian's source packages (apt-get source, unpacked by dpkg-source from dpkg-dev) and links
 * both statically.
 */
export const WORKER_BUILD_PACKAGES = [
  'g++', 'make', 'perl', 'pkg-config', 'meson', 'ninja-build', 'dpkg-dev',
  'libuv1-dev', 'libabsl-dev', 'libusrsctp-dev', 'nlohmann-json3-dev',
];

/** Tests only: browser end-to-end tests, validating docker-compose.yml (no engine needed), the LL-HLS cache tier (varnishd). */
export const TEST_PACKAGES = ['chromium', 'docker-compose', 'coturn', 'varnish'];

async function isInstalled(pkg) {
  try {
    const out = await run('dpkg-query', ['-W', '-f=${Status}', pkg]);
    return out.includes('install ok installed');
  } catch {
    return false;
  }
}

/** How to run a command as root: [] when we are root, ['sudo', '-n'] when that works, else null. */
export async function privilegePrefix() {
  if (process.getuid?.() === 0) return [];
  if (await commandExists('sudo')) {
    try {
      await run('sudo', ['-n', 'true']);
      return ['sudo', '-n'];
    } catch {
      // sudo needs a password: fall through to printing the command.
    }
  }
  return null;
}

/** Installs whatever of `packages` is missing; returns a short summary. */
export async function ensureDebianPackages(packages) {
  const missing = [];
  for (const pkg of packages) if (!(await isInstalled(pkg))) missing.push(pkg);
  if (missing.length === 0) return `all ${packages.length} present`;

  const installLine = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  const prefix = await privilegePrefix();
  if (prefix === null) {
    throw new SetupError(
      `missing Debian packages: ${missing.join(' ')}`,
      `run as root (or with sudo):\n  ${installLine}`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const [cmd, ...pre] = prefix.length ? prefix : ['env'];
  say(`installing ${missing.length} Debian package(s): ${missing.join(' ')}`);
  const tick = ticker('apt-get', 4000);
  let lines = 0;
  const onLine = (line) => {
    lines += 1;
    if (line.startsWith('Unpacking') || line.startsWith('Setting up') || line.startsWith('Get:')) tick(line.slice(0, 100));
  };
  await run(cmd, [...pre, 'apt-get', 'update', '-q'], { env, onLine });
  await run(cmd, [...pre, 'apt-get', 'install', '-y', '-q', ...missing], { env, onLine });
  return `installed ${missing.join(' ')} (${lines} lines of apt output)`;
}
