import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config.js';
import { projectRoot } from '../../../common/compiled-entry.js';

const readme = readFileSync(path.join(projectRoot(), 'README.md'), 'utf8');

describe('README', () => {
  it('documents every configuration variable in its table', () => {
    for (const name of Object.keys(configSchema.shape)) expect(readme).toContain(`| \`${name}\` |`);
  });

  it('shows exactly the two commands, and CI runs the test one', () => {
    const commands = [...readme.matchAll(/^npm (\w+)/gm)].map((m) => m[1]);
    expect(commands).toEqual(['start', 'test']);
    expect(readFileSync(path.join(projectRoot(), '.ci', 'run'), 'utf8')).toMatch(/^npm test$/m);
  });
});
