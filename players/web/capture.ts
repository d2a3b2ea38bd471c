import { LevelChatError } from './errors.js';

export interface CameraOptions {
  deviceId?: string;
  width?: number;
  height?: number;
  frameRate?: number;
  /** Three simulcast layers when the room's codec allows (default true). */
  simulcast?: boolean;
}

export interface MicrophoneOptions {
  deviceId?: string;
}

export interface ScreenOptions {
  /** Also share the tab's or system audio when the browser offers it (default false). */
  audio?: boolean;
}

function captureError(what: string, err: unknown): LevelChatError {
  const e = err as { name?: string; message?: string };
  return new LevelChatError('device_error', `cannot capture the ${what}: ${e?.name ?? 'Error'}${e?.message ? `: ${e.message}` : ''}`);
}

export async function captureCamera(o: CameraOptions = {}): Promise<MediaStreamTrack> {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      video: {
        ...(o.deviceId ? { deviceId: { exact: o.deviceId } } : {}),
        width: { ideal: o.width ?? 1280 },
        height: { ideal: o.height ?? 720 },
        frameRate: { ideal: o.frameRate ?? 30 },
      },
    });
    return stream.getVideoTracks()[0]!;
  } catch (err) {
    throw captureError('camera', err);
  }
}

export async function captureMicrophone(o: MicrophoneOptions = {}): Promise<MediaStreamTrack> {
  try {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { ...(o.deviceId ? { deviceId: { exact: o.deviceId } } : {}), echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    return stream.getAudioTracks()[0]!;
  } catch (err) {
    throw captureError('microphone', err);
  }
}

export async function captureScreen(o: ScreenOptions = {}): Promise<{ video: MediaStreamTrack; audio: MediaStreamTrack | null }> {
  try {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: o.audio ?? false });
    return { video: stream.getVideoTracks()[0]!, audio: stream.getAudioTracks()[0] ?? null };
  } catch (err) {
    throw captureError('screen', err);
  }
}
