// WHIP and WHEP by hand in Chromium: a plain RTCPeerConnection, the SDP offer POSTed with fetch, the
// answer set back; no SDK involved. The e2e tests (test/e2e/whip-whep.test.ts) and the bench
// (bench/whip-whep.ts) share it. The page code is plain JavaScript (this project type-checks
// without the DOM library), installed once per page as globalThis.webrtcHttp; sessions are kept
// there by name, so later calls can read their stats or end them.
import type { Page } from 'playwright-core';

export interface HttpSessionStarted {
  status: number;
  location: string | null;
  etag: string | null;
  body: string;
  /** ms from the POST to the answer. */
  answerMs: number;
  /** Date.now() in the page just before the POST. */
  postedAt: number;
}

export interface WhipOptions {
  /** Preferred video codec, e.g. 'video/H264' (else what Chromium offers first). */
  codec?: string;
  /** Three RID layers (q, h, f) instead of one stream. */
  simulcast?: boolean;
  /** Default true. */
  audio?: boolean;
}

const PAGE_CODE = `
globalThis.webrtcHttp ??= (() => {
  const sessions = new Map();
  async function exchange(name, pc, url, token) {
    await pc.setLocalDescription(await pc.createOffer());
    const postedAt = Date.now();
    const started = performance.now();
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp', authorization: 'Bearer ' + token }, body: pc.localDescription.sdp });
    const body = await res.text();
    const answerMs = performance.now() - started;
    if (res.status === 201) await pc.setRemoteDescription({ type: 'answer', sdp: body });
    sessions.set(name, { pc, location: res.headers.get('location'), token });
    return { status: res.status, location: res.headers.get('location'), etag: res.headers.get('etag'), body, answerMs, postedAt };
  }
  return {
    async whip(name, url, token, options) {
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360, frameRate: 30 }, audio: options.audio !== false });
      const pc = new RTCPeerConnection();
      const video = pc.addTransceiver(stream.getVideoTracks()[0], {
        direction: 'sendonly',
        ...(options.simulcast ? { sendEncodings: [{ rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'h', scaleResolutionDownBy: 2 }, { rid: 'f' }] } : {}),
      });
      for (const track of stream.getAudioTracks()) pc.addTransceiver(track, { direction: 'sendonly' });
      if (options.codec) {
        const all = RTCRtpSender.getCapabilities('video').codecs;
        const wanted = all.filter((c) => c.mimeType === options.codec && (c.mimeType !== 'video/H264' || /packetization-mode=1/.test(c.sdpFmtpLine || '')));
        video.setCodecPreferences([...wanted, ...all.filter((c) => !wanted.includes(c))]);
      }
      return exchange(name, pc, url, token);
    },
    async whep(name, url, token) {
      const pc = new RTCPeerConnection();
      pc.addTransceiver('video', { direction: 'recvonly' });
      pc.addTransceiver('audio', { direction: 'recvonly' });
      return exchange(name, pc, url, token);
    },
    async frames(name) {
      let frames = 0;
      const session = sessions.get(name);
      if (!session) return 0;
      (await session.pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded || 0;
      });
      return frames;
    },
    async firstFrameAt(name, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if ((await this.frames(name)) > 0) return Date.now();
        await new Promise((r) => setTimeout(r, 4));
      }
      return null;
    },
    async end(name, baseUrl) {
      const session = sessions.get(name);
      const res = await fetch(baseUrl + session.location, { method: 'DELETE', headers: { authorization: 'Bearer ' + session.token } });
      session.pc.close();
      sessions.delete(name);
      return res.status;
    },
  };
})();
`;

async function call<T>(page: Page, method: string, ...args: unknown[]): Promise<T> {
  await page.evaluate(PAGE_CODE);
  return page.evaluate(`globalThis.webrtcHttp.${method}(...${JSON.stringify(args)})`) as Promise<T>;
}

/** Publishes the fake camera (and microphone) over WHIP as `name`; returns the POST's outcome. */
export function whipPublish(page: Page, name: string, url: string, token: string, options: WhipOptions = {}): Promise<HttpSessionStarted> {
  return call(page, 'whip', name, url, token, options);
}

/** Plays the room's program over WHEP as `name` (recvonly video and audio). */
export function whepPlay(page: Page, name: string, url: string, token: string): Promise<HttpSessionStarted> {
  return call(page, 'whep', name, url, token);
}

/** Video frames `name`'s peer connection decoded so far. */
export function framesDecoded(page: Page, name: string): Promise<number> {
  return call(page, 'frames', name);
}

/** Date.now() in the page when `name` had decoded its first video frame (polled every 4 ms), or null on timeout. */
export function firstFrameAt(page: Page, name: string, timeoutMs: number): Promise<number | null> {
  return call(page, 'firstFrameAt', name, timeoutMs);
}

/** DELETEs `name`'s session with its token and closes its peer connection; answers the status. */
export function endSession(page: Page, name: string, baseUrl: string): Promise<number> {
  return call(page, 'end', name, baseUrl);
}
