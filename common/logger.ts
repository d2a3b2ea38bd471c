import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured logs: one JSON line per event on stdout. Secrets never reach the log: anything that
 * looks like a token, a key secret or an Authorization header is redacted wherever it sits.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'levelchat' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['token', '*.token', 'secret', '*.secret', 'authorization', '*.authorization', '*.headers.authorization'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
