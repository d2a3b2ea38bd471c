import { KeyGoneError } from '../auth/token-minter.js';
import { InvalidCursorError } from '../rooms/room-repository.js';
import { RoomError } from '../rooms/room-service.js';
import { RoomConfigError } from '../rooms/room-types.js';
import { ProblemError } from './problem.js';

const ROOM_ERROR_STATUS: Record<RoomError['code'], [number, string]> = {
  room_not_found: [404, 'Room not found'],
  room_archived: [409, 'Room is archived'],
  room_ended: [409, 'Room has ended'],
  not_ended: [409, 'Room has not ended'],
  room_id_taken: [409, 'Room id is taken'],
  not_hybrid: [409, 'Room is not hybrid'],
  already_promoted: [409, 'Room was promoted already'],
};

/** Maps the errors of the layers below the API to problem responses; undefined when unknown. */
export function fromDomainError(err: unknown): ProblemError | undefined {
  if (err instanceof RoomError) {
    const [status, title] = ROOM_ERROR_STATUS[err.code];
    return new ProblemError(status, err.code, title, err.message);
  }
  if (err instanceof RoomConfigError) return new ProblemError(400, err.code, 'Invalid room configuration', err.message);
  if (err instanceof KeyGoneError) return new ProblemError(401, 'invalid_api_key', 'Invalid API key', err.message);
  if (err instanceof InvalidCursorError) return new ProblemError(400, 'invalid_cursor', 'Invalid cursor', 'pass next_cursor from a previous page unchanged');
  return undefined;
}
