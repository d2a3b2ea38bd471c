import { spawn } from 'node:child_process';
import { SetupError } from './progress.mjs';

/**
 * Runs a command, streaming each output line to `onLine` (for progress) and keeping the tail so a
 * failure can show what went wrong.
 */
export function run(command, args, { cwd, env, onLine } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail = [];
    let partial = '';
    const take = (chunk) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 40) tail.shift();
        onLine?.(line);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (err) => reject(new SetupError(`cannot run ${command}: ${err.message}`)));
    child.on('close', (code) => {
      if (partial) tail.push(partial);
      if (code === 0) resolve(tail.join('\n'));
      else reject(new SetupError(`${command} ${args.join(' ')} exited with ${code}\n${tail.join('\n')}`));
    });
  });
}

export function commandExists(command) {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    child.on('close', (code) => resolve(code === 0));
    child.on('error', () => resolve(false));
  });
}
