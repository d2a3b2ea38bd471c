import { Cursor, type Box } from './boxes.js';
import { Fmp4Error } from './errors.js';

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** RFC 6381 string for H.264 from its avcC record: `avc1.PPCCLL` (profile, constraint flags, level). */
export function avcCodec(sampleEntry: 'avc1' | 'avc3', buf: Uint8Array, avcC: Box): string {
  const c = Cursor.of(buf, avcC, 'avcC');
  c.skip(1); // configurationVersion
  const profile = c.u8();
  const constraints = c.u8();
  const level = c.u8();
  return `${sampleEntry}.${hex2(profile)}${hex2(constraints)}${hex2(level)}`;
}

/** MPEG-4 descriptor length: 1–4 bytes of 7 bits each, high bit = "more follows". */
function descriptorLength(c: Cursor): number {
  let length = 0;
  for (let i = 0; i < 4; i++) {
    const byte = c.u8();
    length = (length << 7) | (byte & 0x7f);
    if ((byte & 0x80) === 0) return length;
  }
  throw new Fmp4Error('esds: descriptor length longer than 4 bytes');
}

function expectTag(c: Cursor, tag: number): number {
  const found = c.u8();
  if (found !== tag) throw new Fmp4Error(`esds: expected descriptor tag ${tag}, found ${found}`);
  return descriptorLength(c);
}

/**
 * RFC 6381 string for MPEG-4 audio from its esds: `mp4a.<OTI hex>[.<audio object type>]`, e.g.
 * mp4a.40.2 for AAC-LC. The object type comes from the first bits of AudioSpecificConfig.
 */
export function mp4aCodec(buf: Uint8Array, esds: Box): string {
  const c = Cursor.of(buf, esds, 'esds');
  c.fullBox();
  expectTag(c, 0x03); // ES_Descriptor
  c.skip(2); // ES_ID
  const esFlags = c.u8();
  if (esFlags & 0x80) c.skip(2); // dependsOn_ES_ID
  if (esFlags & 0x40) c.skip(c.u8()); // URL
  if (esFlags & 0x20) c.skip(2); // OCR_ES_Id
  expectTag(c, 0x04); // DecoderConfigDescriptor
  const objectType = c.u8();
  const oti = objectType.toString(16).toUpperCase().padStart(2, '0');
  if (objectType !== 0x40) return `mp4a.${oti}`;
  c.skip(1 + 3 + 4 + 4); // streamType/upStream, bufferSizeDB, maxBitrate, avgBitrate
  const infoLength = expectTag(c, 0x05); // DecoderSpecificInfo = AudioSpecificConfig
  if (infoLength < 1) throw new Fmp4Error('esds: empty AudioSpecificConfig');
  const first = c.u8();
  let audioObjectType = first >> 3;
  if (audioObjectType === 31) {
    // escape: 32 + the next 6 bits
    if (infoLength < 2) throw new Fmp4Error('esds: truncated AudioSpecificConfig');
    audioObjectType = 32 + (((first & 0x07) << 3) | (c.u8() >> 5));
  }
  return `mp4a.40.${audioObjectType}`;
}
