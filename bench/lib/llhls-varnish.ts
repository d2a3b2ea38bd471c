// The repository's LL-HLS cache tier (deploy/varnish/llhls.vcl, the file docker-compose.yml runs) with
// Debian's varnishd on loopback, for the origin bench's cache side and the integration test: started in
// the foreground with its work dir, the origins it asks and its storage in a temp dir, stopped by signal.
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../common/compiled-entry.js';
import { ensureBinary, findBinary, type DebianBinary } from './debian-binary.js';
import { spawnServer, type SpawnedServer } from './spawned-server.js';

const VARNISHD: DebianBinary = {
  command: 'varnishd',
  paths: ['/usr/sbin/varnishd', '/usr/local/sbin/varnishd'],
  pkg: 'varnish',
  installEnv: 'BENCH_VARNISH_INSTALL',
  side: 'the cache side',
};

export const findVarnishd = (): string | undefined => findBinary(VARNISHD);

/** varnishd's path, installing Debian's varnish when it is missing (unless BENCH_VARNISH_INSTALL=0). */
export const ensureVarnishd = (log: (line: string) => void): string | undefined => ensureBinary(VARNISHD, log);

/** The origins file llhls.vcl includes: one backend per `host:port`, each added to its director. */
function originsVcl(origins: readonly string[]): string {
  const backends = origins.map((o, i) => {
    const url = new URL(`http://${o}`);
    return `backend origin_${i} { .host = "${url.hostname}"; .port = "${url.port || 80}"; }\n`;
  });
  return `${backends.join('')}sub vcl_init {\n${origins.map((_o, i) => `    origins.add_backend(origin_${i});\n`).join('')}}\n`;
}

/**
 * Starts deploy/varnish/llhls.vcl on 127.0.0.1:`port` in front of `origins` (host:port each); its
 * origins file, work dir (shared memory log, compiled VCL) and output live in `dir`.
 */
export async function startVarnishCache(bin: string, dir: string, port: number, origins: readonly string[]): Promise<SpawnedServer> {
  // Found first on vcl_path, so it stands in for deploy/varnish/llhls-origins.vcl (docker-compose's nodes).
  writeFileSync(path.join(dir, 'llhls-origins.vcl'), originsVcl(origins));
  const asRoot = process.getuid?.() === 0;
  // Run as root, varnishd's cache process is the varnish user's: it must reach its work dir under `dir`.
  if (asRoot) chmodSync(dir, 0o755);
  const args = [
    '-F',
    '-n', path.join(dir, 'work'),
    '-a', `127.0.0.1:${port}`,
    '-T', 'none',
    '-f', path.join(projectRoot(), 'deploy', 'varnish', 'llhls.vcl'),
    '-p', `vcl_path=${dir}:/usr/share/varnish/vcl`,
    '-s', 'malloc,256m',
    // Not root: no dropping to the varnish user (root: the default jail, as the package runs it).
    ...(asRoot ? [] : ['-j', 'none']),
  ];
  return spawnServer('varnishd', bin, args, port);
}
