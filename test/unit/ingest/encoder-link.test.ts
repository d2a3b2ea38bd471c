import { describe, expect, it } from 'vitest';
import { EncoderLink } from '../../../src/ingest/encoder-link.js';

describe('an encoder participant link', () => {
  it('passes on only what the ingest acts on: media resets, the token ending, its removal (once)', () => {
    const heard: string[] = [];
    const link = new EncoderLink({ closed: (reason) => heard.push(`closed: ${reason}`), mediaReset: () => heard.push('media-reset'), tokenEnding: () => heard.push('token-ending') });
    link.send({ event: 'participant-joined', data: {} });
    link.send({ event: 'session-ending', data: { seconds_left: 60 } });
    link.send({ event: 'media-reset', data: {} });
    link.send('not a frame');
    link.close(4001, 'kicked');
    link.close(4001, 'kicked again');
    link.send({ event: 'session-ending', data: {} });
    expect(heard).toEqual(['token-ending', 'media-reset', 'closed: kicked']);
  });
});
