import { afterAll } from 'vitest';
import { startTestEncoder, type TestEncoder, type TestEncoderOptions } from '../../../bench/lib/test-encoder.js';

/** Starts test encoders (ffmpeg) for a test file; every one it started is stopped after the file's tests. */
export function useTestEncoders(): (url: string, options?: Partial<TestEncoderOptions>) => TestEncoder {
  const encoders: TestEncoder[] = [];
  afterAll(async () => {
    await Promise.all(encoders.splice(0).map((e) => e.stop()));
  });
  return (url, options = {}) => {
    const e = startTestEncoder({ url, ...options });
    encoders.push(e);
    return e;
  };
}
