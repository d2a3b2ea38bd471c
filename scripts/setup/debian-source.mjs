// Debian source packages through apt (`apt-get source`): the only place besides the npm registry the
// set-up may download from. Used to rebuild a library Debian ships with the wrong options for us.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './run.mjs';
import { privilegePrefix } from './debian-packages.mjs';
import { say, SetupError } from './progress.mjs';

/** Written by the set-up when no deb-src line exists; never edits the system's own sources. */
export const DEB_SRC_FILE = '/etc/apt/sources.list.d/levelchat-deb-src.sources';
const SYSTEM_SOURCES = '/etc/apt/sources.list.d/debian.sources';

/** Whether apt already knows source package `pkg` (some deb-src line is configured and fetched). */
async function knowsSource(pkg) {
  try {
    return (await run('apt-cache', ['showsrc', '--only-source', pkg])).includes(`Package: ${pkg}`);
  } catch {
    return false; // "You must put some 'deb-src' URIs in your sources.list"
  }
}

/**
 * deb-src stanzas mirroring the system's own `Types: deb` stanzas (same mirror, suites, keyring), so
 * source and binary packages come from the same place; Debian's defaults when there are none.
 */
export function debSrcStanzas(systemSources) {
  const stanzas = (systemSources ?? '')
    .split(/\n\s*\n/)
    .map((s) => s.split('\n').filter((l) => !l.startsWith('#')).join('\n').trim())
    .filter((s) => /^Types:.*\bdeb\b/m.test(s) && /debian/.test(s));
  if (stanzas.length === 0) {
    return [
      'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg',
      'Types: deb-src\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg',
    ];
  }
  return stanzas.map((s) => s.replace(/^Types:.*$/m, 'Types: deb-src'));
}

/**
 * Makes `apt-get source <pkg>` work: when apt knows no source for it, writes DEB_SRC_FILE (once) and
 * runs `apt-get update`. Needs root (or `sudo -n`) only then.
 */
export async function ensureDebSrc(pkg) {
  if (await knowsSource(pkg)) return;
  const prefix = await privilegePrefix();
  if (!existsSync(DEB_SRC_FILE)) {
    const body = `# Written by LevelChat's set-up (scripts/setup/debian-source.mjs): Debian's source packages,\n# to rebuild libsrtp2 on OpenSSL.\n${debSrcStanzas(existsSync(SYSTEM_SOURCES) ? readFileSync(SYSTEM_SOURCES, 'utf8') : null).join('\n\n')}\n`;
    if (prefix === null) {
      throw new SetupError(
        `apt has no deb-src entry (needed to fetch Debian's ${pkg} source package)`,
        `run as root (or with sudo):\n  printf '%s' '${body.replace(/'/g, "'\\''")}' > ${DEB_SRC_FILE} && apt-get update`,
      );
    }
    say(`enabling Debian source packages: writing ${DEB_SRC_FILE}`);
    const tmp = join(tmpdir(), `levelchat-deb-src-${process.pid}.sources`);
    writeFileSync(tmp, body);
    try {
      if (prefix.length === 0) writeFileSync(DEB_SRC_FILE, body);
      else await run(prefix[0], [...prefix.slice(1), 'install', '-m', '644', tmp, DEB_SRC_FILE]);
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  if (prefix === null) throw new SetupError(`apt does not know source package ${pkg} yet`, 'run as root (or with sudo):\n  apt-get update');
  say('apt-get update (to read the deb-src indexes)');
  const [cmd, ...pre] = prefix.length ? prefix : ['env'];
  await run(cmd, [...pre, 'apt-get', 'update', '-q'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (!(await knowsSource(pkg))) throw new SetupError(`apt still knows no source package ${pkg} after enabling deb-src in ${DEB_SRC_FILE}`);
}

/**
 * Downloads Debian's source package `pkg` (the newest apt knows: the code of the binary package it
 * installs, point-release fixes included) into `dir` and unpacks it with Debian's patches applied
 * (dpkg-source -x). Returns the unpacked tree and the Debian version.
 */
export async function fetchDebianSource(pkg, dir) {
  await ensureDebSrc(pkg);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  say(`fetching Debian's source package ${pkg} (apt-get source --download-only)`);
  await run('apt-get', ['source', '--download-only', '-q', pkg], { cwd: dir });
  const dsc = readdirSync(dir).find((f) => f.endsWith('.dsc'));
  if (!dsc) throw new SetupError(`apt-get source ${pkg} left no .dsc in ${dir}`);
  const version = /^Version:\s*(\S+)/m.exec(readFileSync(join(dir, dsc), 'utf8'))?.[1] ?? '?';
  // apt checked every file against the signed Sources index; dpkg-source checks them against the .dsc.
  await run('dpkg-source', ['--no-copy', '-x', dsc, 'src'], { cwd: dir });
  return { tree: join(dir, 'src'), version };
}
