// Types of the two node-media-server modules LevelChat uses (the package ships JavaScript only):
// its RTMP protocol parser and its FLV tag reader/writer. Pinned to 4.4.3 in package.json because
// these are modules inside the package, not its public entry point.

declare module 'node-media-server/src/core/avpacket.js' {
  /** One FLV tag: audio (codec_type 8), video (9) or script data (18). */
  export default class AVPacket {
    codec_id: number;
    codec_type: number;
    flags: number;
    pts: number;
    dts: number;
    size: number;
    data: Buffer;
  }
}

declare module 'node-media-server/src/protocol/flv.js' {
  import type AVPacket from 'node-media-server/src/core/avpacket.js';
  export default class Flv {
    /** Called for each whole tag parsed by parserData; `data` is reused by the parser. */
    onPacketCallback: (packet: AVPacket) => void;
    /** Parses an FLV byte stream; a string on a framing error. */
    parserData(buffer: Buffer): string | null;
    static createHeader(hasAudio: boolean, hasVideo: boolean): Buffer;
    /** The tag as FLV bytes (header, payload, previous-tag-size): a copy of the packet's data. */
    static createMessage(packet: AVPacket): Buffer;
  }
}

declare module 'node-media-server/src/protocol/rtmp.js' {
  import type AVPacket from 'node-media-server/src/core/avpacket.js';
  export interface RtmpStreamRequest {
    app: string;
    name: string;
    host: string;
    query: Record<string, string | string[] | undefined>;
  }
  /** The server side of one RTMP connection: feed it the socket's bytes, write what it outputs back. */
  export default class Rtmp {
    onConnectCallback: (request: RtmpStreamRequest) => void;
    onPlayCallback: () => void;
    onPushCallback: () => void;
    onPacketCallback: (packet: AVPacket) => void;
    onOutputCallback: (buffer: Buffer) => void;
    parserData(buffer: Buffer): string | null;
  }
}
