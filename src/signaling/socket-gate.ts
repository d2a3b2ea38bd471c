import { TokenBucket } from '../../common/token-bucket.js';
import { SignalingError } from './signaling-errors.js';

const SWEEP_EVERY_MS = 60_000;

/** How many signaling sockets one connecting address may hold, and how often one socket may try to join. */
export interface SocketLimits {
  /** Open sockets per address, joined or not. */
  socketsPerAddress: number;
  /** Sockets per address that have not joined yet: what costs the node without any token. */
  unjoinedPerAddress: number;
  /** New sockets per second per address, after a burst of `unjoinedPerAddress` (closing and reopening is no way round the caps). */
  connectsPerSecond: number;
  /** `join`/`resume` requests one socket may send before it has joined. */
  joinAttempts: number;
}

/** One admitted socket's place in its address's count, and its join attempts. */
export interface SocketTicket {
  /** Counts a join or resume request; throws `too_many_join_attempts` once the socket has used them up. */
  attempt(): void;
  /** The socket joined: it no longer counts as unjoined. */
  joined(): void;
  /** The socket closed: its place is free. */
  release(): void;
}

interface AddressCount {
  all: number;
  unjoined: number;
  opened: TokenBucket;
}

/**
 * Bounds what unauthenticated clients can make a node hold: sockets per connecting address (all,
 * those not joined yet, and new ones per second) and join attempts per socket, so a client cannot
 * try tokens without end on one socket, nor open sockets without end, nor churn through them.
 * Counted per node, by the address the TCP connection comes from.
 */
export class SocketGate {
  /** Addresses with open sockets, or whose connect rate has not refilled yet. */
  readonly #addresses = new Map<string, AddressCount>();
  #lastSweep = Date.now();

  constructor(readonly limits: SocketLimits) {}

  /** Admits a new socket from `address`; throws `too_many_connections` when the address holds or opened its share. */
  admit(address: string, now = Date.now()): SocketTicket {
    this.#sweep(now);
    const count = this.#addresses.get(address) ?? { all: 0, unjoined: 0, opened: new TokenBucket(this.limits.unjoinedPerAddress, this.limits.connectsPerSecond, now) };
    this.#addresses.set(address, count);
    if (count.all >= this.limits.socketsPerAddress || count.unjoined >= this.limits.unjoinedPerAddress) {
      throw new SignalingError('too_many_connections', `at most ${this.limits.socketsPerAddress} signaling sockets per address, ${this.limits.unjoinedPerAddress} of them not joined yet`);
    }
    if (!count.opened.take(now)) throw new SignalingError('too_many_connections', `at most ${this.limits.connectsPerSecond} new signaling sockets per second per address`);
    count.all += 1;
    count.unjoined += 1;
    let attempts = 0;
    let joined = false;
    let released = false;
    return {
      attempt: () => {
        attempts += 1;
        if (attempts > this.limits.joinAttempts) throw new SignalingError('too_many_join_attempts', `at most ${this.limits.joinAttempts} join attempts per connection`);
      },
      joined: () => {
        if (joined || released) return;
        joined = true;
        count.unjoined -= 1;
      },
      release: () => {
        if (released) return;
        released = true;
        count.all -= 1;
        if (!joined) count.unjoined -= 1;
      },
    };
  }

  /** Forgets addresses with no socket whose connect rate is full again (a new entry is the same). */
  #sweep(now: number): void {
    if (now - this.#lastSweep < SWEEP_EVERY_MS) return;
    this.#lastSweep = now;
    for (const [address, count] of this.#addresses) if (count.all === 0 && count.opened.isFull(now)) this.#addresses.delete(address);
  }
}
