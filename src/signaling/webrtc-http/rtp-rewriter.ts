/**
 * One continuous RTP stream out of a succession of sources: every packet leaves with the same SSRC,
 * and when the source changes (a new SSRC comes in) sequence numbers and timestamps carry on from
 * the last packet sent, advanced by the time that passed. A receiver sees one stream throughout,
 * so a WHEP player follows an on-air switch without renegotiating.
 */
export class RtpRewriter {
  #source: number | null = null;
  #seqOffset = 0;
  #tsOffset = 0;
  #last: { seq: number; ts: number; at: number } | null = null;

  constructor(
    /** The SSRC every packet leaves with. */
    readonly ssrc: number,
    private readonly clockRate: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Rewrites an RTP packet in place (SSRC, sequence number, timestamp). */
  rewrite(packet: Buffer): void {
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    const ts = packet.readUInt32BE(4);
    const at = this.now();
    if (ssrc !== this.#source) {
      this.#source = ssrc;
      if (this.#last) {
        const elapsed = Math.max(1, Math.round(((at - this.#last.at) * this.clockRate) / 1000));
        this.#seqOffset = this.#last.seq + 1 - seq;
        this.#tsOffset = this.#last.ts + elapsed - ts;
      }
    }
    const outSeq = (seq + this.#seqOffset) & 0xffff;
    const outTs = (ts + this.#tsOffset) >>> 0;
    packet.writeUInt32BE(this.ssrc, 8);
    packet.writeUInt16BE(outSeq, 2);
    packet.writeUInt32BE(outTs, 4);
    this.#last = { seq: outSeq, ts: outTs, at };
  }
}

/** Whether a (compound) RTCP packet asks for a key frame: a PLI or a FIR. */
export function asksKeyFrame(rtcp: Buffer): boolean {
  for (let offset = 0; offset + 4 <= rtcp.length; ) {
    const fmt = rtcp[offset]! & 0x1f;
    const type = rtcp[offset + 1]!;
    // Payload-specific feedback (206): 1 is PLI, 4 is FIR.
    if (type === 206 && (fmt === 1 || fmt === 4)) return true;
    offset += (rtcp.readUInt16BE(offset + 2) + 1) * 4;
  }
  return false;
}
