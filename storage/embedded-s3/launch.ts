import type { ChildProcesses } from '../../common/child-processes.js';
import { compiledEntry } from '../../common/compiled-entry.js';
import type { DataDir } from '../../common/data-dir.js';
import type { Logger } from '../../common/logger.js';
import { EMBEDDED_S3_CREDENTIALS } from './credentials.js';

export interface S3Endpoint {
  endpoint: string;
  accessKey: string;
  secretKey: string;
}

/** Starts the embedded S3-compatible server on a loopback port the OS picks, files in the data dir. */
export async function startEmbeddedS3(children: ChildProcesses, dataDir: DataDir, logger: Logger): Promise<S3Endpoint> {
  const dir = dataDir.subdir('s3');
  const child = await children.start({
    name: 'embedded-s3',
    command: process.execPath,
    args: [compiledEntry('storage/embedded-s3/server'), dir],
    readyLine: /embedded-s3 ready on 127\.0\.0\.1:(\d+)/,
    pidFile: dataDir.pidFile('embedded-s3'),
  });
  const endpoint = `http://127.0.0.1:${child.ready[1]}`;
  logger.info({ endpoint, dir }, 'embedded S3 server started');
  return { endpoint, ...EMBEDDED_S3_CREDENTIALS };
}
