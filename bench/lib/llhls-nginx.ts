// Debian's nginx as the static baseline of the LL-HLS origin bench: found or installed, started on
// 127.0.0.1:<free port> with a temporary config (2 workers, sendfile, keep-alive, no access log),
// stopped by its master pid.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { projectRoot } from '../../common/compiled-entry.js';
import { sleep } from './wait.js';

export const NGINX_INSTALL = ['apt-get', 'install', '-y', 'nginx-light'];

export function findNginx(): string | undefined {
  for (const p of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']) if (existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * nginx's path, installing nginx-light with apt-get when it is missing; undefined (after saying why)
 * when that is not possible.
 */
export function ensureNginx(log: (line: string) => void): string | undefined {
  const found = findNginx();
  if (found) return found;
  if (process.env.BENCH_NGINX_INSTALL === '0') {
    log(`nginx is not installed and BENCH_NGINX_INSTALL=0: skipping the nginx side (install it with: ${NGINX_INSTALL.join(' ')})`);
    return undefined;
  }
  log(`nginx is not installed; running: DEBIAN_FRONTEND=noninteractive ${NGINX_INSTALL.join(' ')}`);
  try {
    // No service start from the package's postinst (exit 101 from policy-rc.d would be the Debian way;
    // RUNLEVEL=1 makes invoke-rc.d skip starting it without touching the system's files).
    execFileSync(NGINX_INSTALL[0]!, NGINX_INSTALL.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' }, timeout: 300_000 });
  } catch (err) {
    log(`could not install nginx (${(err as Error).message.split('\n')[0]}): skipping the nginx side`);
    return undefined;
  }
  const installed = findNginx();
  if (!installed) log('nginx still not found after the install: skipping the nginx side');
  return installed;
}

export interface NginxServer {
  port: number;
  masterPid: number;
  workerPids(): number[];
  stop(): Promise<void>;
  /** For exit handlers: a signal, no waiting. */
  killSync(): void;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Starts nginx serving `root` on 127.0.0.1:`port`; its config, pid and logs live in `dir`. */
export async function startNginx(bin: string, dir: string, root: string, port: number): Promise<NginxServer> {
  mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  const conf = `# LL-HLS origin bench: static baseline
${asRoot ? 'user nobody nogroup;\n' : ''}worker_processes 2;
worker_rlimit_nofile 20000;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 16000; multi_accept on; }
http {
  types { application/vnd.apple.mpegurl m3u8; video/mp4 m4s mp4; }
  default_type application/octet-stream;
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  client_body_temp_path ${dir}/tmp/body;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    root ${root};
    location ~ \\.m3u8$ { add_header Cache-Control "public, max-age=1"; add_header Access-Control-Allow-Origin *; }
    location / { add_header Cache-Control "public, max-age=31536000, immutable"; add_header Access-Control-Allow-Origin *; }
  }
}
`;
  return runNginx(bin, dir, conf, port);
}

/**
 * Starts the repository's LL-HLS cache tier (deploy/nginx/llhls-cache.conf.template, the file
 * docker-compose.yml runs) on 127.0.0.1:`port` in front of `origins` (host:port each); its config,
 * cache, pid and logs live in `dir`.
 */
export async function startNginxCache(bin: string, dir: string, port: number, origins: readonly string[]): Promise<NginxServer> {
  mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  const originsFile = path.join(dir, 'origins.conf');
  writeFileSync(originsFile, origins.map((o) => `server ${o};\n`).join(''));
  const template = readFileSync(path.join(projectRoot(), 'deploy', 'nginx', 'llhls-cache.conf.template'), 'utf8');
  const vars: Record<string, string> = { LLHLS_LISTEN: `127.0.0.1:${port}`, LLHLS_CACHE_DIR: path.join(dir, 'cache'), LLHLS_ORIGINS_FILE: originsFile };
  const server = template.replace(/\$\{(LLHLS_[A-Z_]+)\}/g, (_m, name: string) => vars[name] ?? '');
  const asRoot = process.getuid?.() === 0;
  // Run as root, nginx's workers are `nobody`: they must reach the cache under `dir`.
  if (asRoot) chmodSync(dir, 0o755);
  const conf = `# LL-HLS cache tier (deploy/nginx/llhls-cache.conf.template) on loopback
${asRoot ? 'user nobody nogroup;\n' : ''}worker_processes 2;
worker_rlimit_nofile 20000;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 16000; multi_accept on; }
http {
  access_log off;
  tcp_nodelay on;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
${server}
}
`;
  return runNginx(bin, dir, conf, port);
}

/** Runs nginx with `conf` (written to `dir`) until it listens on `port`. */
async function runNginx(bin: string, dir: string, conf: string, port: number): Promise<NginxServer> {
  const confFile = path.join(dir, 'nginx.conf');
  writeFileSync(confFile, conf);
  const child: ChildProcess = spawn(bin, ['-p', `${dir}/`, '-e', `${dir}/error.log`, '-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  let exited = false;
  const exitedP = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  for (let i = 0; i < 100 && !exited; i++) {
    if (await portOpen(port)) break;
    await sleep(50);
  }
  if (exited || !(await portOpen(port))) {
    child.kill('SIGKILL');
    let log = '';
    try {
      log = readFileSync(path.join(dir, 'error.log'), 'utf8').slice(-2000);
    } catch {
      /* none */
    }
    throw new Error(`nginx did not start: ${out.trim()} ${log.trim()}`);
  }
  const masterPid = child.pid!;
  return {
    port,
    masterPid,
    workerPids() {
      const pids: number[] = [];
      for (const entry of readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        try {
          const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
          const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          if (ppid === masterPid) pids.push(Number(entry));
        } catch {
          /* gone */
        }
      }
      return pids;
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitedP;
      clearTimeout(timer);
    },
    killSync() {
      if (!exited) child.kill('SIGTERM');
    },
  };
}
