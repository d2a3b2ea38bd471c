import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import Flv from 'node-media-server/src/protocol/flv.js';
import type { Logger } from '../../common/logger.js';
import type { MediaTag, RelayPlan } from './encoder-media.js';
import { relayArgs, type RtpTarget } from './relay-args.js';

export interface RelayExit {
  /** stop() ended it, as opposed to ffmpeg failing on what the encoder sent. */
  requested: boolean;
  /** ffmpeg's last stderr lines. */
  tail: string;
}

interface EncoderRelayEvents {
  exit: [exit: RelayExit];
}

/** FLV the relay has not taken yet: beyond it ffmpeg is not keeping up (an encode too slow for the host). */
const MAX_BACKLOG_BYTES = 16 * 1024 * 1024;
const TAIL_LINES = 20;
const STOP_GRACE_MS = 2000;

/**
 * One ffmpeg carrying an encoder's media into the room: FLV tags in on stdin, RTP out to the
 * producers' PlainTransports. ffmpeg is spawned directly: its two outputs (one RTP stream each) are
 * not the single output fluent-ffmpeg drives. Started again, with the codec configuration first,
 * each time the encoder reconnects.
 */
export class EncoderRelay extends EventEmitter<EncoderRelayEvents> {
  #child: ChildProcess;
  #stopping = false;
  #exited = false;
  readonly #tail: string[] = [];

  constructor(plan: RelayPlan, targets: { video?: RtpTarget; audio?: RtpTarget }, keyframeInterval: number, logger: Logger) {
    super();
    const child = spawn('ffmpeg', relayArgs(plan, targets, keyframeInterval), { stdio: ['pipe', 'ignore', 'pipe'] });
    this.#child = child;
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.#tail.push(line);
      if (this.#tail.length > TAIL_LINES) this.#tail.shift();
    });
    // A write after ffmpeg died fails with EPIPE: the exit says what happened.
    child.stdin!.on('error', () => {});
    child.once('error', (err) => logger.error({ err: err.message }, 'could not start the encoder relay (is ffmpeg installed?)'));
    child.once('close', () => {
      this.#exited = true;
      this.emit('exit', { requested: this.#stopping, tail: this.#tail.join('\n') });
    });
    child.stdin!.write(Flv.createHeader(plan.audio, plan.video !== null));
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Hands one tag to ffmpeg; false when ffmpeg has fallen too far behind (it is then stopped). */
  write(tag: MediaTag): boolean {
    const stdin = this.#child.stdin!;
    if (this.#exited || this.#stopping || stdin.destroyed) return false;
    if (stdin.writableLength > MAX_BACKLOG_BYTES) {
      void this.stop();
      return false;
    }
    stdin.write(Flv.createMessage(tag as Parameters<typeof Flv.createMessage>[0]));
    return true;
  }

  /** Ends the input (ffmpeg sends what it has and exits), killing it if it does not within a moment. */
  async stop(): Promise<void> {
    if (this.#exited) return;
    this.#stopping = true;
    const exited = new Promise<void>((resolve) => this.once('exit', () => resolve()));
    this.#child.stdin!.end();
    const term = setTimeout(() => this.#child.kill('SIGTERM'), STOP_GRACE_MS);
    const kill = setTimeout(() => this.#child.kill('SIGKILL'), STOP_GRACE_MS * 2);
    await exited;
    clearTimeout(term);
    clearTimeout(kill);
  }
}
