// Receiving the worker's SRTP on plain UDP sockets, decrypted by werift's SRTP (an implementation nobody
// here wrote) with the worker's own sending key: what a WebRTC viewer gets through DTLS.
import dgram from 'node:dgram';
import { ProtectionProfileAeadAes128Gcm, RtpPacket, SrtpSession } from 'werift';

/** UDP sockets bound on loopback, closed together. */
export class LoopbackSockets {
  readonly #all: dgram.Socket[] = [];

  async bind(): Promise<dgram.Socket> {
    const socket = dgram.createSocket('udp4');
    this.#all.push(socket);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return socket;
  }

  closeAll(): void {
    for (const socket of this.#all.splice(0)) socket.close();
  }
}

/** An RTP packet whose payload is `label` padded with dots to `payloadBytes`, so a decrypted packet says what it is. */
export function labelledRtpPacket(ssrc: number, seq: number, label: string, payloadBytes = 160): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = 100;
  header.writeUInt16BE(seq, 2);
  header.writeUInt32BE(seq * 960, 4);
  header.writeUInt32BE(ssrc, 8);
  return Buffer.concat([header, Buffer.from(label.padEnd(payloadBytes, '.'))]);
}

/** The label of a packet made by labelledRtpPacket. */
export function labelOf(packet: RtpPacket): string {
  return packet.payload.toString().replace(/\.+$/, '');
}

/** True for RTCP on an rtcp-mux transport (the worker's sender reports), which these tests leave aside. */
export function isRtcp(datagram: Buffer): boolean {
  return datagram[1]! >= 192 && datagram[1]! <= 223;
}

/**
 * Decrypts what a PlainTransport with `enableSrtp` and AEAD_AES_128_GCM sends, keyed with that
 * transport's `srtpParameters.keyBase64` (16 bytes of key, then 12 of salt).
 */
export function workerSrtpDecryptor(keyBase64: string): (datagram: Buffer) => RtpPacket {
  const key = Buffer.from(keyBase64, 'base64');
  const session = new SrtpSession({
    profile: ProtectionProfileAeadAes128Gcm,
    keys: { localMasterKey: Buffer.alloc(16), localMasterSalt: Buffer.alloc(12), remoteMasterKey: key.subarray(0, 16), remoteMasterSalt: key.subarray(16) },
  });
  return (datagram) => RtpPacket.deSerialize(session.decrypt(datagram));
}
