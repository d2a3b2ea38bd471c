import type { Queue, Worker } from 'bullmq';

/**
 * Closes a BullMQ worker, letting running jobs finish for a moment; after that its connections are
 * cut (a job cut short is retried by another worker, which our jobs are written to allow). A
 * graceful close alone can wait forever on a blocking connection that Redis dropped.
 */
export async function closeWorker(worker: Worker, graceMs = 1500): Promise<void> {
  // Closing a connection that is still being set up makes BullMQ emit an error nobody listens to.
  await worker.waitUntilReady().catch(() => undefined);
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

/** Closes a BullMQ queue once its connection is set up (see closeWorker). */
export async function closeQueue(queue: Queue): Promise<void> {
  await queue.waitUntilReady().catch(() => undefined);
  await queue.close();
}
