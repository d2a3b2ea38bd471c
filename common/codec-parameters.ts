/**
 * Codec parameters (the `a=fmtp` key=value pairs of an RTP codec) come from publishers and end up
 * in mediasoup producers and in the SDP ffmpeg reads. Only the shapes real codecs use pass: short
 * lowercase keys, and numbers or plain tokens as values (base64 for H.264's sprop-parameter-sets).
 * CR/LF, spaces and `;` could forge SDP lines or attributes; nothing here allows them.
 */
const KEY = /^[a-z][a-z0-9-]{0,63}$/i;
const VALUE = /^[A-Za-z0-9+/=.,:_-]{0,256}$/;
const MAX_PARAMETERS = 32;

/** Why `parameters` is unsafe, or undefined when every key and value has an allowed shape. */
export function codecParametersProblem(parameters: unknown): string | undefined {
  if (parameters === undefined || parameters === null) return undefined;
  if (typeof parameters !== 'object' || Array.isArray(parameters)) return 'codec parameters must be an object';
  const entries = Object.entries(parameters);
  if (entries.length > MAX_PARAMETERS) return `at most ${MAX_PARAMETERS} codec parameters`;
  for (const [key, value] of entries) {
    if (!KEY.test(key)) return `codec parameter name ${JSON.stringify(key.slice(0, 40))} is not allowed`;
    if (typeof value === 'number' ? !Number.isFinite(value) : typeof value !== 'string' || !VALUE.test(value)) {
      return `codec parameter ${key} has a value that is not allowed`;
    }
  }
  return undefined;
}
