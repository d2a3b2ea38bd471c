import net from 'node:net';
import Rtmp from 'node-media-server/src/protocol/rtmp.js';
import type { Logger } from '../../common/logger.js';
import { EncoderSource } from './encoder-source.js';

/** The only RTMP application: encoders publish to rtmp://host:port/live/<stream key>. */
export const RTMP_APP = 'live';
/** An encoder must have started publishing this long after connecting. */
const PUBLISH_TIMEOUT_MS = 10_000;
const TAG_SCRIPT = 18;

export interface RtmpListenerOptions {
  bind: string;
  /** 0: any free port (tests). */
  port: number;
  /** An encoder started publishing with `streamKey`; its tags follow on `source`. */
  onPublish(streamKey: string, source: EncoderSource): void;
  logger: Logger;
}

export class RtmpPortInUseError extends Error {
  readonly code = 'port_in_use';
}

/**
 * The node's RTMP listener: node-media-server's protocol parser (handshake, chunk streams, AMF
 * commands, FLV tags) on our own TCP server, which decides who may publish. Playing is refused;
 * so is an application other than `live`, and a connection that does not publish within 10 s.
 */
export class RtmpListener {
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();

  private constructor(private readonly options: RtmpListenerOptions) {
    this.#server = net.createServer((socket) => this.#accept(socket));
  }

  static start(options: RtmpListenerOptions): Promise<RtmpListener> {
    const listener = new RtmpListener(options);
    return new Promise((resolve, reject) => {
      listener.#server.once('error', (err: NodeJS.ErrnoException) => {
        reject(err.code === 'EADDRINUSE' ? new RtmpPortInUseError(`RTMP port ${options.port} on ${options.bind} is already in use (set LEVELCHAT_RTMP_PORT)`) : err);
      });
      listener.#server.listen(options.port, options.bind, () => resolve(listener));
    });
  }

  get port(): number {
    return (this.#server.address() as net.AddressInfo).port;
  }

  /** Stops listening and cuts every encoder off. */
  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: net.Socket): void {
    const { logger } = this.options;
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    const rtmp = new Rtmp();
    let source: EncoderSource | null = null;
    let request: { app: string; name: string } | null = null;
    const refuse = (why: string) => {
      logger.info({ remote, why }, 'RTMP connection refused');
      socket.destroy();
    };
    const publishTimer = setTimeout(() => refuse('did not publish in time'), PUBLISH_TIMEOUT_MS);
    publishTimer.unref();
    rtmp.onOutputCallback = (buffer) => {
      if (!socket.destroyed) socket.write(buffer);
    };
    rtmp.onConnectCallback = (req) => {
      request = { app: req.app, name: req.name };
    };
    rtmp.onPlayCallback = () => refuse('playing is not offered');
    rtmp.onPushCallback = () => {
      clearTimeout(publishTimer);
      if (source || !request) return refuse('published twice on one connection');
      if (request.app !== RTMP_APP || request.name.length === 0) return refuse(`publish to rtmp://host/${RTMP_APP}/<stream key>`);
      source = new EncoderSource('rtmp', remote, () => socket.destroy());
      this.options.onPublish(request.name, source);
    };
    rtmp.onPacketCallback = (tag) => {
      if (tag.codec_type !== TAG_SCRIPT) source?.push(tag);
    };
    socket.on('data', (data: Buffer) => {
      let error: string | null;
      try {
        error = rtmp.parserData(data);
      } catch (err) {
        error = (err as Error).message;
      }
      if (error) refuse(`unreadable RTMP: ${error}`);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(publishTimer);
      this.#sockets.delete(socket);
      source?.end('encoder disconnected');
    });
  }
}
