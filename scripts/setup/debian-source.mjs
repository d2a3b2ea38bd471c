// Debian source packages through apt (`apt-get source`): the only place besides the npm registry the
// set-up may download from. Used to rebuild a library Debian ships with the wrong options for us
// (libsrtp2, from bookworm) or in too old a version (OpenSSL, from trixie).
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
 * deb-src stanzas for Debian release `suite` (say `trixie`) on the system's own mirrors: each stanza's
 * suites renamed, `bookworm-security` becoming `trixie-security` and so on (backports dropped).
 */
export function suiteStanzas(systemSources, suite) {
  return debSrcStanzas(systemSources).map((stanza) => stanza.replace(/^Suites:(.*)$/m, (_, list) => {
    const suites = list.trim().split(/\s+/)
      .filter((s) => !s.endsWith('-backports'))
      .map((s) => `${suite}${/-(updates|security)$/.exec(s)?.[0] ?? ''}`);
    return `Suites: ${[...new Set(suites)].join(' ')}`;
  }));
}

/**
 * apt options for reading another Debian release's source packages from a private state directory:
 * its own sources file, lists and cache, so the system's apt configuration is never touched and no
 * root is needed. apt still checks every index against the Debian archive keyring.
 */
async function privateApt(suite, stateDir) {
  for (const sub of ['lists/partial', 'cache/archives/partial', 'parts']) mkdirSync(join(stateDir, sub), { recursive: true });
  const sourcesFile = join(stateDir, `${suite}.sources`);
  writeFileSync(sourcesFile, `${suiteStanzas(existsSync(SYSTEM_SOURCES) ? readFileSync(SYSTEM_SOURCES, 'utf8') : null, suite).join('\n\n')}\n`);
  const options = [
    '-o', `Dir::Etc::SourceList=${sourcesFile}`, '-o', `Dir::Etc::SourceParts=${join(stateDir, 'parts')}`,
    '-o', `Dir::State::Lists=${join(stateDir, 'lists')}`, '-o', `Dir::Cache=${join(stateDir, 'cache')}`,
  ];
  say(`reading Debian ${suite}'s source index (apt-get update into ${stateDir}, the system's apt untouched)`);
  await run('apt-get', [...options, 'update', '-q']);
  return options;
}

/** `versions` newest first, in Debian's version order (dpkg --compare-versions). */
export async function newestFirst(versions) {
  const sorted = [...new Set(versions)];
  const later = async (a, b) => run('dpkg', ['--compare-versions', a, 'gt', b]).then(() => true, () => false);
  // Insertion sort: a source package has a handful of versions across a release's suites.
  for (let i = 1; i < sorted.length; i++) {
    for (let j = i; j > 0 && (await later(sorted[j], sorted[j - 1])); j--) [sorted[j - 1], sorted[j]] = [sorted[j], sorted[j - 1]];
  }
  return sorted;
}

/**
 * Downloads Debian's source package `pkg` into `dir` and unpacks it with Debian's patches applied
 * (dpkg-source -x). Returns the unpacked tree and the Debian version.
 *
 * Without `suite`: the system's release (bookworm), through the system's apt and its deb-src lines.
 * With `suite`: that release's source, through a private apt state in `dir` (see privateApt).
 * Either way the newest version whose files the mirror serves (a mirror may list a point release
 * before it carries its files); `upstream` limits it to versions starting so (say '3.5.'), and a
 * version skipped is said.
 */
export async function fetchDebianSource(pkg, dir, { suite, upstream } = {}) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let apt = [];
  if (suite) apt = await privateApt(suite, join(dir, 'apt'));
  else await ensureDebSrc(pkg);
  const listed = [];
  await run('apt-cache', [...apt, 'showsrc', '--only-source', pkg], { onLine: (line) => listed.push(...(/^Version:\s*(\S+)$/.exec(line)?.slice(1) ?? [])) });
  const versions = (await newestFirst(listed)).filter((v) => !upstream || v.replace(/^\d+:/, '').startsWith(upstream));
  if (versions.length === 0) throw new SetupError(`apt lists no ${pkg} source${suite ? ` in Debian ${suite}` : ''}${upstream ? ` of version ${upstream}*` : ''} (listed: ${listed.join(', ') || 'none'})`);
  const download = join(dir, 'download');
  for (const version of versions) {
    rmSync(download, { recursive: true, force: true });
    mkdirSync(download);
    say(`fetching Debian's source package ${pkg} ${version}${suite ? ` (${suite})` : ''} (apt-get source --download-only)`);
    try {
      await run('apt-get', [...apt, 'source', '--download-only', '-q', `${pkg}=${version}`], { cwd: download });
    } catch (err) {
      const reason = /^E: (.*)$/m.exec(err.message)?.[1] ?? err.message.split('\n')[0];
      say(`${pkg} ${version} cannot be downloaded (${reason}); trying the next older version`);
      continue;
    }
    const dsc = readdirSync(download).find((f) => f.endsWith('.dsc'));
    if (!dsc) throw new SetupError(`apt-get source ${pkg}=${version} left no .dsc in ${download}`);
    // apt checked every file against the signed Sources index; dpkg-source checks them against the .dsc.
    await run('dpkg-source', ['--no-copy', '-x', dsc, join(dir, 'src')], { cwd: download });
    return { tree: join(dir, 'src'), version };
  }
  throw new SetupError(`no listed version of Debian's ${pkg} source could be downloaded (tried ${versions.join(', ')})`);
}
