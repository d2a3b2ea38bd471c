import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({});
    expect(c.http).toEqual({ port: 8080, bind: '127.0.0.1', publicUrl: undefined });
    expect(c.redisUrl).toBeUndefined();
    expect(c.s3.endpoint).toBeUndefined();
    expect(c.s3.bucket).toBe('levelchat');
    expect(c.workers.count).toBeGreaterThanOrEqual(1);
    expect(c.dataDir.endsWith('/data')).toBe(true);
    expect(c.pipeline.cadence).toEqual({ partTarget: 0.22, segmentTarget: 1, targetDuration: 2 });
  });

  it('reads the trusted proxies (none by default), and refuses what is not an address, CIDR or known name', () => {
    expect(loadConfig({}).trustProxy).toEqual([]);
    expect(loadConfig({ LEVELCHAT_TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::1' }).trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::1']);
    expect(() => loadConfig({ LEVELCHAT_TRUST_PROXY: 'loopback,my-balancer' })).toThrow(/LEVELCHAT_TRUST_PROXY/);
  });

  it('reads the LL-HLS cadence', () => {
    expect(loadConfig({ LEVELCHAT_HLS_PART_TARGET: '0.33334', LEVELCHAT_HLS_SEGMENT_TARGET: '2' }).pipeline.cadence).toEqual({ partTarget: 0.33334, segmentTarget: 2, targetDuration: 3 });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ REDIS_URL: '', PORT: '' }).http.port).toBe(8080);
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['LEVELCHAT_WORKERS', { LEVELCHAT_WORKERS: '0' }],
    ['REDIS_URL', { REDIS_URL: 'http://localhost:6379' }],
    ['REDIS_URL', { REDIS_URL: 'not a url' }],
    ['S3_BUCKET', { S3_BUCKET: 'Bad_Bucket' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['S3_ACCESS_KEY', { S3_ENDPOINT: 'http://127.0.0.1:9000' }],
    ['S3_SECRET_KEY', { S3_ENDPOINT: 'http://127.0.0.1:9000', S3_ACCESS_KEY: 'k' }],
    ['LEVELCHAT_RTC_MIN_PORT', { LEVELCHAT_RTC_MIN_PORT: '50000', LEVELCHAT_RTC_MAX_PORT: '40000' }],
    ['LEVELCHAT_HLS_PART_TARGET', { LEVELCHAT_HLS_PART_TARGET: '0.05' }],
    ['LEVELCHAT_HLS_SEGMENT_TARGET', { LEVELCHAT_HLS_PART_TARGET: '0.5', LEVELCHAT_HLS_SEGMENT_TARGET: '0.8' }],
  ])('names %s when it is invalid', (variable, env) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toContain(variable);
  });

  it('reads external parts', () => {
    const c = loadConfig({
      REDIS_URL: 'redis://10.0.0.2:6379',
      S3_ENDPOINT: 'https://minio.internal:9000',
      S3_ACCESS_KEY: 'a',
      S3_SECRET_KEY: 'b',
      LEVELCHAT_WORKERS: '3',
    });
    expect(c.redisUrl).toBe('redis://10.0.0.2:6379');
    expect(c.s3).toMatchObject({ endpoint: 'https://minio.internal:9000', accessKey: 'a', secretKey: 'b' });
    expect(c.workers.count).toBe(3);
  });
});
