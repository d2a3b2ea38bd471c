import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config.js';
import { projectRoot } from '../../../common/compiled-entry.js';

const execFileAsync = promisify(execFile);
// The secrets compose requires (it has no working defaults); any values do for validating the file.
const SECRETS = {
  REDIS_PASSWORD: 'test0redis0password',
  MINIO_ROOT_USER: 'test-user',
  MINIO_ROOT_PASSWORD: 'test-minio-password',
  LEVELCHAT_METRICS_TOKEN: 'test0metrics0token0123',
  GRAFANA_ADMIN_PASSWORD: 'test-grafana-password',
  LEVELCHAT_TURN_SECRET: 'test0turn0secret0123456789',
};
const run = (command: string, args: string[], secrets: Record<string, string> = SECRETS) => execFileAsync(command, args, { env: { PATH: process.env.PATH, ...secrets } });

describe('docker-compose.yml', () => {
  const file = path.join(projectRoot(), 'docker-compose.yml');

  it('is valid for Debian\'s docker-compose (config -q)', async () => {
    await expect(run('docker-compose', ['-f', file, 'config', '-q'])).resolves.toBeDefined();
  });

  it('runs redis with AOF, minio with its bucket, and LevelChat with known variables only', async () => {
    const { stdout } = await run('docker-compose', ['-f', file, 'config']);
    expect(stdout).toContain('--appendonly');
    expect(stdout).toContain('mc mb --ignore-existing local/levelchat');
    // The bucket stays private (MinIO's default): objects are read with credentials or presigned URLs only.
    expect(stdout).not.toMatch(/mc (anonymous|policy) set/);
    const names = [...stdout.matchAll(/^\s+(?:"?)([A-Z][A-Z0-9_]+)(?:"?):/gm)].map((m) => m[1]!);
    const levelchatVars = names.filter((n) => /^(LEVELCHAT_|S3_|REDIS_URL|PORT|LOG_LEVEL)/.test(n));
    expect(levelchatVars.length).toBeGreaterThan(5);
    for (const name of levelchatVars) expect(Object.keys(configSchema.shape)).toContain(name);
  });

  it('refuses to start without the secrets, and locks Redis and the pipes between nodes (issue 17)', async () => {
    for (const missing of Object.keys(SECRETS)) {
      const partial = Object.fromEntries(Object.entries(SECRETS).filter(([name]) => name !== missing));
      await expect(run('docker-compose', ['-f', file, 'config', '-q'], partial)).rejects.toThrow(new RegExp(`set ${missing}`));
    }
    const { stdout } = await run('docker-compose', ['-f', file, 'config']);
    expect(stdout).toMatch(/--requirepass\s+- test0redis0password/);
    expect(stdout).toContain('REDIS_URL: redis://:test0redis0password@127.0.0.1:6379');
    expect(stdout).not.toContain('levelchat-secret');
    expect([...stdout.matchAll(/LEVELCHAT_PIPE_SRTP: ['"]?true/g)]).toHaveLength(4);
  });

  it("runs Debian's coturn with the TURN REST API secret the nodes share, relaying to the SFU's address only (issue 19)", async () => {
    const { stdout } = await run('docker-compose', ['-f', file, 'config']);
    const coturn = new RegExp('^  coturn:\\n((?:    .*\\n|  - .*\\n)*)', 'm').exec(stdout)?.[1] ?? '';
    expect(coturn).toContain('network_mode: host');
    expect(readFileSync(path.join(projectRoot(), 'deploy', 'coturn', 'Dockerfile'), 'utf8')).toMatch(/FROM debian:bookworm[\s\S]*apt-get install -y --no-install-recommends coturn/);
    expect(coturn).toContain('LEVELCHAT_TURN_SECRET: test0turn0secret0123456789');
    expect(coturn).toMatch(/--use-auth-secret[\s\S]*--static-auth-secret="\$\$?LEVELCHAT_TURN_SECRET"/);
    expect(coturn).toContain('--no-tcp-relay');
    expect(coturn).not.toContain('--allow-loopback-peers');
    // Every node hands out credentials from the same secret, and the URLs of that server.
    expect([...stdout.matchAll(/LEVELCHAT_TURN_SECRET: test0turn0secret0123456789/g)]).toHaveLength(5);
    expect([...stdout.matchAll(/LEVELCHAT_TURN_URLS: turn:127\.0\.0\.1:3478\?transport=udp/g)]).toHaveLength(4);
  });

  it('runs three SFU nodes with their own ids, ports and RTC ranges, and a pipeline worker', async () => {
    const { stdout } = await run('docker-compose', ['-f', file, 'config']);
    const nodeIds = [...stdout.matchAll(/LEVELCHAT_NODE_ID: (\S+)/g)].map((m) => m[1]);
    expect(nodeIds).toEqual(['node-1', 'node-2', 'node-3']);
    const ports = [...stdout.matchAll(/^\s+PORT: ['"]?(\d+)['"]?$/gm)].map((m) => m[1]);
    expect(new Set(ports).size).toBe(ports.length);
    const rtcRanges = [...stdout.matchAll(/LEVELCHAT_RTC_MIN_PORT: ['"]?(\d+)/g)].map((m) => Number(m[1]));
    expect(new Set(rtcRanges).size).toBe(3);
    expect(stdout).toMatch(/LEVELCHAT_ROLE: pipeline/);
  });

  it('scrapes every LevelChat service with Prometheus (with the metrics token) and provisions Grafana (issue 19)', async () => {
    const { stdout } = await run('docker-compose', ['-f', file, 'config']);
    const service = (name: string) => new RegExp(`^  ${name}:\\n((?:    .*\\n|  - .*\\n)*)`, 'm').exec(stdout)?.[1] ?? '';
    const prometheus = service('prometheus');
    const grafana = service('grafana');
    expect(prometheus).toContain('image: prom/prometheus:');
    expect(grafana).toContain('image: grafana/grafana:');
    for (const s of [prometheus, grafana]) expect(s).toContain('network_mode: host');
    // Every LevelChat service (each on its PORT, host network) is a target of a LevelChat job.
    const config = readFileSync(path.join(projectRoot(), 'deploy', 'prometheus', 'prometheus.yml'), 'utf8');
    const targets = [...config.matchAll(/"127\.0\.0\.1:(\d+)"/g)].map((m) => m[1]);
    const ports = [...stdout.matchAll(/^\s+PORT: ['"]?(\d+)['"]?$/gm)].map((m) => m[1]);
    expect(ports.sort()).toEqual(['8081', '8082', '8083', '8090']);
    for (const port of ports) expect(targets).toContain(port);
    // Scraped with the services' own token: written by the entrypoint where the config reads it.
    expect(prometheus).toContain('LEVELCHAT_METRICS_TOKEN: test0metrics0token0123');
    const tokenFile = /credentials_file: (\S+)/.exec(config)![1]!;
    expect([...config.matchAll(/credentials_file: (\S+)/g)]).toHaveLength(2);
    expect(prometheus).toContain(`> ${tokenFile}`);
    expect([...stdout.matchAll(/LEVELCHAT_METRICS_TOKEN: test0metrics0token0123/g)]).toHaveLength(5);
    // Grafana: the admin password from the environment, nobody else gets in.
    expect(grafana).toContain('GF_SECURITY_ADMIN_PASSWORD: test-grafana-password');
    expect(grafana).toMatch(/GF_USERS_ALLOW_SIGN_UP: ['"]false/);
    expect(grafana).toMatch(/GF_AUTH_ANONYMOUS_ENABLED: ['"]false/);
    // What they mount from deploy/ is in the repository.
    const mounts = [...`${prometheus}${grafana}`.matchAll(/- (\/\S+?):\/\S+/g)].map((m) => m[1]!);
    expect(mounts.length).toBe(4); // prometheus.yml, the alert rules, Grafana's provisioning and dashboards
    for (const source of mounts) expect(existsSync(source), source).toBe(true);
  });

  it('puts the LL-HLS cache tier in front of the nodes, with the repository\'s Varnish config (issue 14)', async () => {
    const { stdout } = await run('docker-compose', ['-f', file, 'config']);
    expect(stdout).toMatch(/hls-cache:[\s\S]*image: varnish:/);
    const mounts = [...stdout.matchAll(/- (\/\S+?):(\/etc\/varnish\/\S+?):ro/g)];
    expect(mounts.map((m) => m[2])).toEqual(['/etc/varnish/llhls.vcl', '/etc/varnish/llhls-origins.vcl']);
    for (const m of mounts) expect(existsSync(m[1]!), m[1]).toBe(true);
    const origins = readFileSync(path.join(projectRoot(), 'deploy', 'varnish', 'llhls-origins.vcl'), 'utf8');
    for (const port of [8081, 8082, 8083]) expect(origins).toContain(`.host = "127.0.0.1"; .port = "${port}";`);
  });
});
