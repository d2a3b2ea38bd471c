import { DomainError, ProblemError } from '../../common/problem.js';
import { InvalidCursorError } from '../rooms/room-repository.js';

/** Maps the errors of the layers below the API to problem responses; undefined when unknown. */
export function fromDomainError(err: unknown): ProblemError | undefined {
  if (err instanceof DomainError) return new ProblemError(err.code, err.message);
  if (err instanceof InvalidCursorError) return new ProblemError('invalid_cursor', 'pass next_cursor from a previous page unchanged');
  return undefined;
}
