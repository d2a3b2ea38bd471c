import dgram from 'node:dgram';
import type { types } from 'mediasoup';
import type { FeedRequest, FeedStream, RtpFeed, RtpFeedSource } from './rtp-feed.js';

interface Leg {
  transport: types.PlainTransport;
  consumer: types.Consumer;
  rtcpSink: dgram.Socket;
}

/**
 * Feeds from a router of this process: a PlainTransport per producer, without RTX, sending to
 * ffmpeg's port. mediasoup's RTCP goes to a sink instead of ffmpeg: ffmpeg's RTP demuxer re-bases a
 * stream's timestamps on the first sender report, an A/V-sync jump of up to a second mid-stream
 * that would become one giant part.
 */
export class RouterFeeds implements RtpFeedSource {
  constructor(
    private readonly router: types.Router,
    /** Where the PlainTransports send from (this node's RTC listen IP). */
    private readonly listenIp = '127.0.0.1',
  ) {}

  async open(request: FeedRequest): Promise<RtpFeed> {
    const legs: Leg[] = [];
    try {
      const video = await this.openLeg(request.videoProducerId, 'video', request.ip, request.videoPort);
      legs.push(video);
      if (request.audioProducerId !== undefined && request.audioPort !== undefined) {
        legs.push(await this.openLeg(request.audioProducerId, 'audio', request.ip, request.audioPort));
      }
    } catch (err) {
      for (const leg of legs) closeLeg(leg);
      throw err;
    }
    return new RouterFeed(legs[0]!, legs[1], this.listenIp);
  }

  private async openLeg(producerId: string, kind: types.MediaKind, ip: string, port: number): Promise<Leg> {
    const rtcpSink = dgram.createSocket('udp4').on('message', () => {});
    await new Promise<void>((resolve) => rtcpSink.bind(0, this.listenIp, resolve));
    const transport = await this.router.createPlainTransport({ listenIp: this.listenIp, rtcpMux: false, comedia: false });
    try {
      await transport.connect({ ip, port, rtcpPort: rtcpSink.address().port });
      const codecs = (this.router.rtpCapabilities.codecs ?? [])
        .filter((c) => c.kind === kind && !/\/rtx$/i.test(c.mimeType))
        .map((c) => ({ ...c, rtcpFeedback: [] }));
      const consumer = await transport.consume({ producerId, rtpCapabilities: { codecs, headerExtensions: [] }, paused: true });
      if (consumer.kind !== kind) throw new Error(`producer ${producerId} is ${consumer.kind}, expected ${kind}`);
      return { transport, consumer, rtcpSink };
    } catch (err) {
      transport.close();
      rtcpSink.close();
      throw err;
    }
  }
}

class RouterFeed implements RtpFeed {
  readonly video: FeedStream;
  readonly audio: FeedStream | undefined;

  constructor(
    private readonly videoLeg: Leg,
    private readonly audioLeg: Leg | undefined,
    readonly sourceIp: string,
  ) {
    this.video = streamOf(videoLeg);
    this.audio = audioLeg ? streamOf(audioLeg) : undefined;
  }

  async resume(): Promise<void> {
    await Promise.all([this.videoLeg.consumer.resume(), this.audioLeg?.consumer.resume()]);
  }

  requestKeyFrame(): Promise<void> {
    return this.videoLeg.consumer.requestKeyFrame();
  }

  onClosed(listener: () => void): void {
    let told = false;
    const once = () => {
      if (told) return;
      told = true;
      listener();
    };
    for (const leg of [this.videoLeg, this.audioLeg]) leg?.consumer.on('producerclose', once);
  }

  close(): void {
    closeLeg(this.videoLeg);
    closeLeg(this.audioLeg);
  }
}

function streamOf(leg: Leg): FeedStream {
  return { kind: leg.consumer.kind, rtpParameters: leg.consumer.rtpParameters };
}

function closeLeg(leg: Leg | undefined): void {
  leg?.transport.close();
  leg?.rtcpSink.close();
}
