import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { types } from 'mediasoup';
import type { Logger } from '../../src/logger.js';
import type { HlsRendition } from '../../src/rooms/room-types.js';
import { FragmentReader, type Fmp4Item } from '../fmp4/fragment-reader.js';
import { inputOptions, outputFd, outputOptions, type EncodePlan } from './ffmpeg-args.js';
import { renderIngestSdp, type SdpMedia } from './sdp.js';
import { freeRtpPortPair, waitUntilBound } from './udp-ports.js';

export interface RtpIngestOptions {
  router: types.Router;
  videoProducerId: string;
  audioProducerId?: string;
  /** Seconds: the keyframe cadence (requested from an H.264 publisher, forced when transcoding). */
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

interface Leg {
  transport: types.PlainTransport;
  consumer: types.Consumer;
  port: number;
  rtcpSink: dgram.Socket;
}

/** Seconds ffmpeg may take to bind its RTP ports before we send anyway. */
const BIND_TIMEOUT_MS = 3000;
const TAIL_LINES = 20;

/**
 * One broadcast's media out of mediasoup and through ffmpeg: a loopback PlainTransport + consumer
 * per producer, an SDP file ffmpeg reads them from, and one ffmpeg writing each rendition's
 * fragmented MP4 to a pipe of its own, parsed into init segments and fragments. ffmpeg is spawned
 * directly: the extra pipes are stdio fds, which fluent-ffmpeg cannot open.
 */
export class RtpIngest extends EventEmitter<RtpIngestEvents> {
  private process: ChildProcess | undefined;
  private keyframeTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  private constructor(
    private readonly options: RtpIngestOptions,
    private readonly legs: { video: Leg; audio?: Leg },
    private readonly dir: string,
    readonly plan: EncodePlan,
  ) {
    super();
    for (const leg of [legs.video, legs.audio]) leg?.consumer.on('producerclose', () => this.emit('source-closed'));
  }

  /** Creates the transports and (paused) consumers; nothing flows until start(). */
  static async create(options: RtpIngestOptions): Promise<RtpIngest> {
    const legs: Leg[] = [];
    const dir = await mkdtemp(path.join(os.tmpdir(), 'levelchat-ingest-'));
    try {
      const video = await openLeg(options.router, options.videoProducerId, 'video');
      legs.push(video);
      const audio = options.audioProducerId ? await openLeg(options.router, options.audioProducerId, 'audio') : undefined;
      if (audio) legs.push(audio);
      const mime = video.consumer.rtpParameters.codecs[0]?.mimeType.toLowerCase();
      const plan: EncodePlan = {
        videoPassthrough: mime === 'video/h264',
        hasAudio: audio !== undefined,
        keyframeInterval: options.segmentTarget,
        videoBitrate: options.videoBitrate ?? 2_000_000,
        renditions: options.renditions,
      };
      const media: SdpMedia[] = legs.map((l) => ({ kind: l.consumer.kind, port: l.port, rtpParameters: l.consumer.rtpParameters }));
      await writeFile(path.join(dir, 'ingest.sdp'), renderIngestSdp(media));
      return new RtpIngest(options, { video, ...(audio ? { audio } : {}) }, dir, plan);
    } catch (err) {
      for (const leg of legs) closeLeg(leg);
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Starts an ffmpeg run: spawn, wait for its RTP sockets, then let media flow and ask for a keyframe. */
  async start(): Promise<void> {
    if (this.process || this.stopping) throw new Error('ingest already running or stopped');
    const { logger } = this.options;
    const tail: string[] = [];
    const args = ['-hide_banner', '-nostdin', '-loglevel', 'warning', ...inputOptions(), '-i', path.join(this.dir, 'ingest.sdp'), ...outputOptions(this.plan)];
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
      this.stopKeyframes();
      this.process = undefined;
      const requested = this.stopping;
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
    const ports = [this.legs.video, this.legs.audio].flatMap((l) => (l ? [l.port, l.port + 1] : []));
    if (!(await waitUntilBound(ports, BIND_TIMEOUT_MS))) logger.warn({ ports }, 'ffmpeg did not bind its RTP ports in time');
    if (finished) return;
    // Media flows from here: ffmpeg's output time zero is the first packet it gets from now on.
    this.mediaStartedAt = Date.now();
    await Promise.all([this.legs.video.consumer.resume(), this.legs.audio?.consumer.resume()]);
    await this.legs.video.consumer.requestKeyFrame();
    // Only a passthrough needs the publisher's keyframes on a cadence; an encoder makes its own.
    if (this.plan.videoPassthrough) {
      this.keyframeTimer = setInterval(() => {
        this.legs.video.consumer.requestKeyFrame().catch(() => {});
      }, this.options.segmentTarget * 1000);
    }
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

  /** Ends the ffmpeg run (letting it flush its last fragment), closes the transports and removes the SDP. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopKeyframes();
    const child = this.process;
    if (child) {
      const exited = new Promise<void>((resolve) => this.once('exit', () => resolve()));
      const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(kill);
    }
    for (const leg of [this.legs.video, this.legs.audio]) closeLeg(leg);
    await rm(this.dir, { recursive: true, force: true });
  }

  private stopKeyframes(): void {
    clearInterval(this.keyframeTimer);
    this.keyframeTimer = undefined;
  }
}

/**
 * A loopback PlainTransport sending one producer, without RTX, to a port pair ffmpeg will bind.
 * mediasoup's RTCP goes to a sink instead of ffmpeg: ffmpeg's RTP demuxer re-bases a stream's
 * timestamps on the first sender report, an A/V-sync jump of up to a second mid-stream that would
 * become one giant part. Both streams start together (resumed at once), so arrival keeps them in sync.
 */
async function openLeg(router: types.Router, producerId: string, kind: 'audio' | 'video'): Promise<Leg> {
  const port = await freeRtpPortPair();
  const rtcpSink = dgram.createSocket('udp4').on('message', () => {});
  await new Promise<void>((resolve) => rtcpSink.bind(0, '127.0.0.1', resolve));
  const transport = await router.createPlainTransport({ listenIp: '127.0.0.1', rtcpMux: false, comedia: false });
  try {
    await transport.connect({ ip: '127.0.0.1', port, rtcpPort: rtcpSink.address().port });
    const codecs = (router.rtpCapabilities.codecs ?? [])
      .filter((c) => c.kind === kind && !/\/rtx$/i.test(c.mimeType))
      .map((c) => ({ ...c, rtcpFeedback: [] }));
    const consumer = await transport.consume({ producerId, rtpCapabilities: { codecs, headerExtensions: [] }, paused: true });
    if (consumer.kind !== kind) throw new Error(`producer ${producerId} is ${consumer.kind}, expected ${kind}`);
    return { transport, consumer, port, rtcpSink };
  } catch (err) {
    transport.close();
    rtcpSink.close();
    throw err;
  }
}

function closeLeg(leg: Leg | undefined): void {
  leg?.transport.close();
  leg?.rtcpSink.close();
}
