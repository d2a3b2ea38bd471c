// A Debian package's binary a bench needs (nginx, varnishd): found, or installed with apt-get when the
// bench is allowed to, or skipped after saying why.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface DebianBinary {
  /** The command's name (`command -v`). */
  command: string;
  /** Where Debian puts it, looked at first. */
  paths: readonly string[];
  /** The package that has it. */
  pkg: string;
  /** The env variable that, set to 0, forbids installing it. */
  installEnv: string;
  /** What is skipped without it, for the log. */
  side: string;
}

export function findBinary(b: Pick<DebianBinary, 'command' | 'paths'>): string | undefined {
  for (const p of b.paths) if (existsSync(p)) return p;
  try {
    return execFileSync('sh', ['-c', `command -v ${b.command}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The binary's path, installing its package when it is missing; undefined (after saying why) when that is not possible. */
export function ensureBinary(b: DebianBinary, log: (line: string) => void): string | undefined {
  const found = findBinary(b);
  if (found) return found;
  const install = ['apt-get', 'install', '-y', b.pkg];
  if (process.env[b.installEnv] === '0') {
    log(`${b.command} is not installed and ${b.installEnv}=0: skipping ${b.side} (install it with: ${install.join(' ')})`);
    return undefined;
  }
  log(`${b.command} is not installed; running: DEBIAN_FRONTEND=noninteractive ${install.join(' ')}`);
  try {
    // No service start from the package's postinst (exit 101 from policy-rc.d would be the Debian way;
    // RUNLEVEL=1 makes invoke-rc.d skip starting it without touching the system's files).
    execFileSync(install[0]!, install.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', RUNLEVEL: '1' }, timeout: 300_000 });
  } catch (err) {
    log(`could not install ${b.pkg} (${(err as Error).message.split('\n')[0]}): skipping ${b.side}`);
    return undefined;
  }
  const installed = findBinary(b);
  if (!installed) log(`${b.command} still not found after the install: skipping ${b.side}`);
  return installed;
}
