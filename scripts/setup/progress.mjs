// Set-up output: every step says what it is doing, how far along it is, and how long it took.

const started = Date.now();

function stamp() {
  return `${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`;
}

export function say(message) {
  process.stderr.write(`[setup ${stamp()}] ${message}\n`);
}

export async function step(title, fn) {
  const t0 = Date.now();
  say(`${title} ...`);
  const result = await fn();
  say(`${title}: ${result ?? 'done'} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  return result;
}

export class SetupError extends Error {
  constructor(message, hint) {
    super(message);
    this.hint = hint;
  }
}

/** Prints a "still working" line at most every `everyMs` so long steps are never silent. */
export function ticker(label, everyMs = 5000) {
  let last = 0;
  return (detail) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    say(`${label}: ${detail}`);
  };
}
