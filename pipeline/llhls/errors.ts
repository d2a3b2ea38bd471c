/** Thrown when the LL-HLS model is driven out of order or given values a playlist cannot express. */
export class LlHlsError extends Error {
  readonly code = 'llhls_invalid';
  constructor(detail: string) {
    super(`LL-HLS: ${detail}`);
    this.name = 'LlHlsError';
  }
}
