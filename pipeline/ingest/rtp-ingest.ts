import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from '../../common/logger.js';
import type { HlsRendition } from '../renditions.js';
import { FragmentReader, type Fmp4Item } from '../fmp4/fragment-reader.js';
import { inputOptions, outputFd, outputOptions, type EncodePlan } from './ffmpeg-args.js';
import type { RtpFeed, RtpFeedSource } from './rtp-feed.js';
import { renderIngestSdp, type SdpMedia } from './sdp.js';
import { freeRtpPortPair, waitUntilBound } from './udp-ports.js';

export interface RtpIngestOptions {
  /** Where the producers are: the room's origin router, in this process or on another node. */
  feeds: RtpFeedSource;
  /** The address ffmpeg listens on, as the producers' node reaches it; default 127.0.0.1. */
  listenIp?: string;
  videoProducerId: string;
  audioProducerId?: string;
  /** Seconds: the keyframe cadence forced when transcoding (a passed-through publisher is asked, requestKeyFrame). */
  segmentTarget: number;
  /** Bits per second when the publisher's codec has to be transcoded to H.264. */
  videoBitrate?: number;
  /** One fMP4 output each, in ladder order. */
  renditions: readonly HlsRendition[];
  logger: Logger;
}

export interface IngestExit {
  /** We asked it to stop (stop()), as opposed to a crash or an end of input. */
  requested: boolean;
  error?: string;
  /** ffmpeg's last stderr lines. */
  tail: string;
}

interface RtpIngestEvents {
  /** The init segment (once per ffmpeg run) or one moof+mdat fragment of rendition `index` (of plan.renditions), as ffmpeg writes them. */
  item: [index: number, item: Fmp4Item];
  /** The ffmpeg run ended; start() again for a new run (a new init segment, hence a discontinuity). */
  exit: [exit: IngestExit];
  /** A producer went away: nothing more will arrive. */
  'source-closed': [];
}

/** Seconds ffmpeg may take to bind its RTP ports before we send anyway. */
const BIND_TIMEOUT_MS = 3000;
const TAIL_LINES = 20;
/** Where ffmpeg's RTP sockets listen: loopback unless the feed comes from another node. */
const listenIpOf = (options: RtpIngestOptions): string => options.listenIp ?? '127.0.0.1';

/**
 * One broadcast's media out of mediasoup and through ffmpeg: an RTP feed of the producers (from
 * the router that holds them, on this node or another) to ports ffmpeg listens on, an SDP file
 * describing them, and one ffmpeg writing each rendition's fragmented MP4 to a pipe of its own,
 * parsed into init segments and fragments. ffmpeg is spawned directly: the extra pipes are stdio
 * fds, which fluent-ffmpeg cannot open (see the README's note on fluent-ffmpeg).
 */
export class RtpIngest extends EventEmitter<RtpIngestEvents> {
  private process: ChildProcess | undefined;
  private stopping = false;
  /** endRun() is ending the current run: its exit was asked for, and the feed stays. */
  private ending = false;

  private constructor(
    private readonly options: RtpIngestOptions,
    private readonly feed: RtpFeed,
    /** ffmpeg's RTP ports: video, then audio. */
    private readonly ports: number[],
    private readonly dir: string,
    readonly plan: EncodePlan,
  ) {
    super();
    feed.onClosed(() => this.emit('source-closed'));
  }

  /** Picks ffmpeg's ports and opens the (paused) feed to them; nothing flows until start(). */
  static async create(options: RtpIngestOptions): Promise<RtpIngest> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'levelchat-ingest-'));
    let feed: RtpFeed | undefined;
    try {
      const ip = listenIpOf(options);
      const videoPort = await freeRtpPortPair();
      const audioPort = options.audioProducerId ? await freeRtpPortPair() : undefined;
      feed = await options.feeds.open({
        videoProducerId: options.videoProducerId,
        ...(options.audioProducerId && audioPort ? { audioProducerId: options.audioProducerId, audioPort } : {}),
        ip,
        videoPort,
      });
      const mime = feed.video.rtpParameters.codecs[0]?.mimeType.toLowerCase();
      const plan: EncodePlan = {
        videoPassthrough: mime === 'video/h264',
        hasAudio: feed.audio !== undefined,
        keyframeInterval: options.segmentTarget,
        videoBitrate: options.videoBitrate ?? 2_000_000,
        renditions: options.renditions,
      };
      const media: SdpMedia[] = [{ kind: 'video', port: videoPort, rtpParameters: feed.video.rtpParameters }];
      if (feed.audio && audioPort) media.push({ kind: 'audio', port: audioPort, rtpParameters: feed.audio.rtpParameters });
      await writeFile(path.join(dir, 'ingest.sdp'), renderIngestSdp(media, ip, feed.sourceIp));
      return new RtpIngest(options, feed, media.map((m) => m.port), dir, plan);
    } catch (err) {
      feed?.close();
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Starts an ffmpeg run: spawn, wait for its RTP sockets, then let media flow and ask for a keyframe. */
  async start(): Promise<void> {
    if (this.process || this.stopping) throw new Error('ingest already running or stopped');
    const { logger } = this.options;
    const tail: string[] = [];
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'warning', ...inputOptions(listenIpOf(this.options)), '-i', path.join(this.dir, 'ingest.sdp'), ...outputOptions(this.plan)];
    const outputs = this.plan.renditions.map(() => 'pipe' as const);
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe', ...outputs] });
    this.process = child;
    createInterface({ input: child.stderr! }).on('line', (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    });
    const started = new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject); // ffmpeg is missing
    });
    let finished = false;
    const finish = (error?: Error) => {
      if (finished) return;
      finished = true;
      this.process = undefined;
      const requested = this.stopping || this.ending;
      if (!requested) logger.warn({ err: error?.message, tail: tail.join('\n') }, 'ingest ffmpeg exited');
      this.emit('exit', { requested, ...(error && !requested ? { error: error.message } : {}), tail: tail.join('\n') });
    };
    child.once('error', (err) => finish(err));
    // 'close' comes after every output pipe was read to its end.
    child.once('close', (code, signal) => finish(code === 0 ? undefined : new Error(`ffmpeg exited with ${signal ?? `code ${code}`}`)));
    this.plan.renditions.forEach((_rendition, index) => {
      const reader = new FragmentReader();
      const output = child.stdio[outputFd(index)] as Readable;
      output.on('error', (err) => logger.warn({ err: err.message, index }, 'ffmpeg output pipe failed'));
      output.on('data', (chunk: Buffer) => {
        try {
          for (const item of reader.push(chunk)) this.emit('item', index, item);
        } catch (err) {
          // Lost sync with ffmpeg's output: end this run; the owner decides whether to start another.
          logger.error({ err: (err as Error).message, index }, 'unreadable ffmpeg output');
          child.kill('SIGKILL');
        }
      });
    });

    await started;
    const ports = this.ports.flatMap((port) => [port, port + 1]);
    if (!(await waitUntilBound(ports, BIND_TIMEOUT_MS))) logger.warn({ ports }, 'ffmpeg did not bind its RTP ports in time');
    if (finished) return;
    // Media flows from here: ffmpeg's output time zero is the first packet it gets from now on.
    this.mediaStartedAt = Date.now();
    await this.feed.resume();
    await this.feed.requestKeyFrame();
  }

  /**
   * Asks the publisher for a keyframe (mediasoup sends it a PLI for the consumer feeding ffmpeg): the
   * packager does so ahead of each segment boundary when the video is passed through.
   */
  requestKeyFrame(): void {
    if (!this.process || this.stopping) return;
    this.feed.requestKeyFrame().catch((err: Error) => this.options.logger.debug({ err: err.message }, 'keyframe request failed'));
  }

  /** Wall clock (ms) at the start of this run's media: the time zero of ffmpeg's output. */
  mediaStartedAt: number | undefined;

  get running(): boolean {
    return this.process !== undefined;
  }

  /** The current ffmpeg's pid, for operators (and tests that crash it on purpose). */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  /**
   * Ends the current ffmpeg run (letting it flush its last fragment) and keeps the feed: the source
   * paused for a while (an encoder reconnecting); start() makes the next run when it is back.
   */
  async endRun(): Promise<void> {
    const child = this.process;
    if (!child || this.stopping) return;
    this.ending = true;
    try {
      await this.exit(child);
    } finally {
      this.ending = false;
    }
  }

  /** Ends the ffmpeg run (letting it flush its last fragment), closes the transports and removes the SDP. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.process) await this.exit(this.process);
    this.feed.close();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** SIGTERM (ffmpeg flushes), SIGKILL if it takes over 3 s; resolves once its run has ended. */
  private async exit(child: ChildProcess): Promise<void> {
    const exited = new Promise<void>((resolve) => this.once('exit', () => resolve()));
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.kill('SIGTERM');
    await exited;
    clearTimeout(kill);
  }
}
