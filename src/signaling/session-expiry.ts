/** How long before its token expires a session is told (`session-ending`), time to `refresh_token`. */
export const SESSION_ENDING_NOTICE_MS = 60_000;
/** setTimeout's longest delay; a longer one fires at once. Tokens live at most 7 days, far below it. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A session lasts as long as its token: `ending` a minute before the token expires (at once when
 * less is left), `expired` when it does. Watching a new token (a resume, a refresh) starts over.
 */
export class SessionExpiry {
  #timers: NodeJS.Timeout[] = [];

  constructor(private readonly on: { ending(expiresAt: Date): void; expired(): void }) {}

  watch(expiresAt: Date, now = Date.now()): void {
    this.cancel();
    const left = expiresAt.getTime() - now;
    const at = (ms: number, fn: () => void) => {
      const timer = setTimeout(fn, Math.min(MAX_TIMER_MS, Math.max(0, ms)));
      timer.unref();
      this.#timers.push(timer);
    };
    at(left - SESSION_ENDING_NOTICE_MS, () => this.on.ending(expiresAt));
    at(left, () => this.on.expired());
  }

  cancel(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers = [];
  }
}
