import type { Worker } from 'bullmq';

/**
 * Closes a BullMQ worker, letting running jobs finish for a moment; after that its connections are
 * cut (a job cut short is retried by another worker, which our jobs are written to allow). A
 * graceful close alone can wait forever on a blocking connection that Redis dropped.
 */
export async function closeWorker(worker: Worker, graceMs = 1500): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const closing = worker.close().then(
    () => true,
    () => true,
  );
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
  });
  const closed = await Promise.race([closing, late]);
  clearTimeout(timer);
  if (!closed) await worker.disconnect().catch(() => undefined);
}
