import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { commandLineOf, isAlive, readPid } from './process-table.js';

export class DataDirInUseError extends Error {
  readonly code = 'data_dir_in_use';
  constructor(dir: string, pid: number) {
    super(`data dir ${dir} is in use by another LevelChat process (pid ${pid}); stop it or set LEVELCHAT_DATA_DIR`);
  }
}

/**
 * The data dir holds Redis' AOF, the embedded S3 files and the pid files of the processes we start.
 * One LevelChat owns it at a time; what a crashed run left behind (its lock, orphaned children) is
 * cleaned up here so a restart is never blocked by it.
 */
export class DataDir {
  private constructor(readonly root: string) {}

  static acquire(root: string): DataDir {
    mkdirSync(path.join(root, 'run'), { recursive: true });
    const lock = path.join(root, 'run', 'levelchat.pid');
    const holder = readPid(lock);
    if (holder !== undefined && holder !== process.pid && isAlive(holder) && commandLineOf(holder).includes('node')) {
      throw new DataDirInUseError(root, holder);
    }
    const dir = new DataDir(root);
    dir.killOrphans();
    writeFileSync(lock, String(process.pid));
    return dir;
  }

  /** Where a named part keeps its files, created on demand. */
  subdir(name: string): string {
    const dir = path.join(this.root, name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  pidFile(name: string): string {
    return path.join(this.root, 'run', `${name}.child.pid`);
  }

  release(): void {
    rmSync(path.join(this.root, 'run', 'levelchat.pid'), { force: true });
  }

  /** Kills children a crashed run left behind, but only if the pid still runs what we started. */
  private killOrphans(): void {
    const runDir = path.join(this.root, 'run');
    for (const file of readdirSync(runDir)) {
      if (!file.endsWith('.child.pid')) continue;
      const pidFile = path.join(runDir, file);
      const pid = readPid(pidFile);
      const expected = file.slice(0, -'.child.pid'.length);
      if (pid !== undefined && isAlive(pid) && commandLineOf(pid).includes(expected)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      rmSync(pidFile, { force: true });
    }
  }
}
