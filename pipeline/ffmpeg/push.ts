import ffmpeg from 'fluent-ffmpeg';

export interface PushInput {
  url: string;
  inputOptions: string[];
}

export interface PushOutput {
  target: string;
  format: 'flv' | 'mpegts';
  outputOptions: string[];
}

export interface Push {
  /** Resolves once ffmpeg writes to the destination (it connected and media flows). */
  live: Promise<void>;
  /** Resolves when ffmpeg ends: `error` unless it ended at the end of its input or was stopped. */
  ended: Promise<{ error: string | null }>;
  stop(): void;
}

/**
 * Copies a live input (a room's LL-HLS) to a destination as it plays, re-encoding nothing: one
 * input, one output, a fluent-ffmpeg job. The destination URL may hold a stream key: it is never
 * in what this reports (ffmpeg's messages name the URL, so only their first words are kept).
 */
export function startPush(input: PushInput, output: PushOutput, timeoutS?: number): Push {
  let stopped = false;
  /** ffmpeg's last line that is not a progress report: what went wrong, when something did. */
  let lastWord = '';
  let markLive!: () => void;
  const live = new Promise<void>((resolve) => (markLive = resolve));
  const command = ffmpeg(input.url, timeoutS ? { timeout: timeoutS } : {})
    .inputOptions(input.inputOptions)
    .outputOptions(['-map', '0:v:0?', '-map', '0:a:0?', '-c', 'copy', ...(output.format === 'flv' ? ['-flvflags', 'no_duration_filesize'] : []), ...output.outputOptions])
    .format(output.format)
    .output(output.target)
    .on('progress', () => markLive())
    .on('stderr', (line: string) => {
      if (line.trim() && !/^\s*(frame|size)=/.test(line)) lastWord = line.trim();
    });
  const ended = new Promise<{ error: string | null }>((resolve) => {
    command.on('end', () => resolve({ error: null }));
    command.on('error', (err: Error) => resolve({ error: stopped ? null : redact(`${err.message.split(':')[0]}: ${lastWord}`, output.target) }));
  });
  command.run();
  return {
    live,
    ended,
    stop() {
      stopped = true;
      command.kill('SIGKILL');
    },
  };
}

/** ffmpeg's error without the destination (its stream key). */
function redact(message: string, target: string): string {
  return message.split(target).join('<destination>').replace(/(rtmps?|srt):\/\/\S+/g, '<destination>').slice(0, 300);
}
