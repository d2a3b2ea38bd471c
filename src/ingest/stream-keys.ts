import { createHash, randomBytes } from 'node:crypto';

/** Letters and digits only: an id or key goes into RTMP paths, SRT stream ids and Redis keys as is. */
const alnum = (bytes: number) => randomBytes(bytes).toString('base64url').replace(/[-_]/g, '0');

export const INGEST_ID = /^in_[A-Za-z0-9]{16}$/;
export const newIngestId = (): string => `in_${alnum(12)}`;

/** A stream key: 190 random bits. Shown once; only its SHA-256 is stored. */
export const newStreamKey = (): string => `sk_${alnum(24)}`;

/** An SRT passphrase (libsrt takes 10-79 characters): 190 random bits. */
export const newSrtPassphrase = (): string => alnum(24);

/**
 * What is stored of a stream key, and what a connecting encoder's key is looked up by. A plain hash
 * fits: the key is random, not chosen by a person, so there is nothing to guess from its hash.
 */
export const streamKeyHash = (key: string): string => createHash('sha256').update(key).digest('hex');
