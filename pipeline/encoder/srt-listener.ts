import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import ffmpeg, { type FfmpegCommand } from 'fluent-ffmpeg';
import Flv from 'node-media-server/src/protocol/flv.js';
import type { Logger } from '../../common/logger.js';
import { EncoderSource } from './encoder-source.js';

export interface SrtListenerOptions {
  /** Address and UDP port the listener binds. */
  bind: string;
  port: number;
  /** Callers must encrypt with it (libsrt refuses a caller with a wrong or no passphrase in its handshake). */
  passphrase: string;
  /** SRT receive latency, ms. */
  latencyMs?: number;
  logger: Logger;
}

interface SrtListenerEvents {
  /** An encoder connected: its tags follow on `source`. */
  connected: [source: EncoderSource];
  /** An encoder was turned away before its media reached us (a codec FLV cannot carry). */
  refused: [reason: string];
}

/** The codecs the listener passes on: FLV carries them (it is how the ingest reads every encoder). */
const PASSABLE_VIDEO = /^h264\b/;
const PASSABLE_AUDIO = /^(aac|mp3)\b/;
const RESTART_MS = [250, 1000, 5000];

/** The passphrase never reaches a log or an ingest's state, though ffmpeg repeats the URL in its errors. */
export const redactSrt = (text: string): string => text.replace(/passphrase=[^&\s]*/g, 'passphrase=[redacted]');

/**
 * An SRT listener for one ingest: ffmpeg (driven by fluent-ffmpeg: one input, one output) waits for
 * one caller on the ingest's UDP port, checks its passphrase (libsrt's handshake), and remuxes its
 * MPEG-TS to FLV on a pipe, read into tags like an RTMP encoder's. ffmpeg takes one caller at a
 * time: a second one is not answered while the first is connected. When the caller goes, ffmpeg
 * ends and the listener starts again for the next connection, until `stop()`.
 */
export class SrtListener extends EventEmitter<SrtListenerEvents> {
  #command: FfmpegCommand | null = null;
  #stopped = false;
  #failures = 0;
  #restart: NodeJS.Timeout | null = null;
  #exited: Promise<void> = Promise.resolve();

  constructor(private readonly options: SrtListenerOptions) {
    super();
  }

  start(): void {
    if (this.#stopped || this.#command) return;
    const { bind, port, passphrase, latencyMs = 120, logger } = this.options;
    const host = bind.includes(':') ? `[${bind}]` : bind;
    const url = `srt://${host}:${port}?mode=listener&transtype=live&latency=${latencyMs * 1000}&pbkeylen=16&passphrase=${encodeURIComponent(passphrase)}`;
    const flv = new PassThrough();
    const parser = new Flv();
    let source: EncoderSource | null = null;
    let refusal: string | null = null;
    const command = ffmpeg(url)
      .inputOptions(['-fflags', '+nobuffer', '-analyzeduration', '1000000', '-probesize', '1000000'])
      .outputOptions(['-map', '0:v:0?', '-map', '0:a:0?', '-c', 'copy', '-flush_packets', '1'])
      .format('flv');
    this.#command = command;
    parser.onPacketCallback = (tag) => {
      if (!source) {
        source = new EncoderSource('srt', `srt:${port}`, (reason) => {
          refusal = reason;
          command.kill('SIGKILL');
        });
        this.#failures = 0;
        this.emit('connected', source);
      }
      source.push(tag);
    };
    flv.on('data', (chunk: Buffer) => {
      const err = parser.parserData(chunk);
      if (err) command.kill('SIGKILL');
    });
    command.on('codecData', (data: { video?: string; audio?: string }) => {
      // A stream FLV cannot carry would only fail in the remux: say why instead.
      if (data.video && !PASSABLE_VIDEO.test(data.video)) refusal = `video codec ${data.video.split(' ')[0]} cannot be received over SRT: send H.264`;
      else if (data.audio && !PASSABLE_AUDIO.test(data.audio)) refusal = `audio codec ${data.audio.split(' ')[0]} cannot be received over SRT: send AAC or MP3`;
      if (refusal) command.kill('SIGKILL');
    });
    this.#exited = new Promise<void>((resolve) => {
      const ended = (error?: Error) => {
        this.#command = null;
        const reason = refusal ?? (error ? redactSrt(error.message.split('\n')[0] ?? 'srt listener failed') : 'encoder disconnected');
        if (source) source.end(reason);
        else if (refusal) this.emit('refused', refusal);
        else if (error && !this.#stopped) {
          this.#failures += 1;
          logger.warn({ port, err: reason }, 'SRT listener failed');
        }
        resolve();
        this.#scheduleRestart();
      };
      command.on('error', (err: Error) => ended(err));
      command.on('end', () => ended());
    });
    command.pipe(flv, { end: true });
  }

  /** Stops listening (and cuts a connected encoder off). */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#restart) clearTimeout(this.#restart);
    this.#command?.kill('SIGKILL');
    await this.#exited;
  }

  #scheduleRestart(): void {
    if (this.#stopped) return;
    // A listener that cannot even start (its port taken) is retried ever more slowly.
    const delay = RESTART_MS[Math.min(this.#failures, RESTART_MS.length - 1)]!;
    this.#restart = setTimeout(() => {
      this.#restart = null;
      this.start();
    }, delay);
    this.#restart.unref();
  }
}
