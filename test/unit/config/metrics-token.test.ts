import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/config.js';

describe('LEVELCHAT_METRICS_TOKEN', () => {
  it('is off by default: /metrics is open', () => {
    expect(loadConfig({}).metrics).toEqual({ token: undefined });
  });

  it('reads a Bearer token of 16-256 token characters', () => {
    expect(loadConfig({ LEVELCHAT_METRICS_TOKEN: 'abcDEF0123456789_-.~+/=' }).metrics.token).toBe('abcDEF0123456789_-.~+/=');
  });

  it.each(['short', 'has space in it 0123456', 'quote"0123456789abcdef', 'x'.repeat(257)])('refuses %j, naming the variable', (token) => {
    expect(() => loadConfig({ LEVELCHAT_METRICS_TOKEN: token })).toThrow(ConfigError);
    expect(() => loadConfig({ LEVELCHAT_METRICS_TOKEN: token })).toThrow(/LEVELCHAT_METRICS_TOKEN/);
  });
});
