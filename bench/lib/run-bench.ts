import { setTimeout as sleep } from 'node:timers/promises';

export interface BenchRun {
  main(): Promise<void>;
  /** Stops what the bench started, politely (awaited after `main`, and on Ctrl-C within `graceMs`). */
  cleanup(): Promise<void>;
  /** Kills whatever is still running, synchronously (also on process exit). */
  cleanupSync(): void;
  /** What Ctrl-C stops, for the line printed when it does. */
  stopping: string;
  graceMs?: number;
}

/**
 * Runs a bench's main process: its result is exit code 0 (a missed target is reported, not a
 * failure) or 1 when it could not run; Ctrl-C or SIGTERM stops everything it started, then exits 130.
 */
export async function runBench(run: BenchRun): Promise<void> {
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (interrupted) return;
      interrupted = true;
      console.log(`\n${sig}: stopping ${run.stopping}`);
      void Promise.race([run.cleanup(), sleep(run.graceMs ?? 10_000)]).finally(() => {
        run.cleanupSync();
        process.exit(130);
      });
    });
  }
  process.on('exit', () => run.cleanupSync());
  try {
    await run.main();
  } catch (err) {
    console.log(`bench failed: ${(err as Error).stack ?? String(err)}`);
    process.exitCode = 1;
  } finally {
    await run.cleanup().catch(() => {});
    run.cleanupSync();
  }
}
