// Debian's nginx as the static baseline of the LL-HLS origin bench: found or installed, started on
// 127.0.0.1:<free port> with a temporary config (2 workers, sendfile, keep-alive, no access log),
// stopped by its master pid.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureBinary, type DebianBinary } from './debian-binary.js';
import { spawnServer, type SpawnedServer } from './spawned-server.js';

const NGINX: DebianBinary = {
  command: 'nginx',
  paths: ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'],
  pkg: 'nginx-light',
  installEnv: 'BENCH_NGINX_INSTALL',
  side: 'the nginx side',
};

/** nginx's path, installing nginx-light when it is missing (unless BENCH_NGINX_INSTALL=0). */
export const ensureNginx = (log: (line: string) => void): string | undefined => ensureBinary(NGINX, log);

/** Starts nginx serving `root` on 127.0.0.1:`port`; its config, pid and logs live in `dir`. */
export async function startNginx(bin: string, dir: string, root: string, port: number): Promise<SpawnedServer> {
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
  const confFile = path.join(dir, 'nginx.conf');
  writeFileSync(confFile, conf);
  return spawnServer('nginx', bin, ['-p', `${dir}/`, '-e', `${dir}/error.log`, '-c', confFile], port, path.join(dir, 'error.log'));
}
