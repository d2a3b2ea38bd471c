// `npm test`: set up what is missing (Chromium included), then run every vitest suite.
// Extra arguments go to vitest: `npm test -- test/unit`.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setup, orExit, ROOT } from './setup/index.mjs';

const env = await orExit(() => setup({ forTests: true }));
const vitest = spawn(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...process.argv.slice(2)], {
  cwd: ROOT,
  env,
  stdio: 'inherit',
});
const forward = (signal) => vitest.kill(signal);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
vitest.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
