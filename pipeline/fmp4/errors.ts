/**
 * The one error the fMP4 layer throws for input it cannot trust (bad sizes, truncated or missing
 * boxes, impossible values). Anything else escaping the parser would be a bug in the parser.
 */
export class Fmp4Error extends Error {
  readonly code = 'fmp4_malformed';
  constructor(detail: string) {
    super(`malformed fMP4: ${detail}`);
    this.name = 'Fmp4Error';
  }
}
