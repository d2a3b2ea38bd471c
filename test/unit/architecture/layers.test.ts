import { createRequire } from 'node:module';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../common/compiled-entry.js';

// The layer rules live in .dependency-cruiser.cjs (one home); this test runs them on every source
// folder, so an upward import or a circle fails `npm test`.
const SOURCE_FOLDERS = ['common', 'storage', 'pipeline', 'src', 'players', 'sdk', 'bench', 'scripts'];

describe('architecture', () => {
  it('imports only point down the layers, with no circles', async () => {
    const root = projectRoot();
    const ruleSet = createRequire(import.meta.url)(`${root}/.dependency-cruiser.cjs`);
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const { output } = await cruise(SOURCE_FOLDERS, { ...ruleSet.options, ruleSet, validate: true, outputType: 'json' });
      const result = (typeof output === 'string' ? JSON.parse(output) : output) as ICruiseResult;
      const violations = result.summary.violations.map((v) =>
        v.cycle?.length ? `${v.rule.name}: ${[v.from, ...v.cycle.map((c) => c.name)].join(' -> ')}` : `${v.rule.name}: ${v.from} -> ${v.to}`,
      );
      expect(violations).toEqual([]);
      expect(result.summary.totalCruised).toBeGreaterThan(200);
    } finally {
      process.chdir(cwd);
    }
  }, 60_000);
});
