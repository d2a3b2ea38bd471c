// `npm start`: set up what is missing, then run the whole stack in this process.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setup, orExit, ROOT } from './setup/index.mjs';

const env = await orExit(() => setup());
process.env.MEDIASOUP_WORKER_BIN = env.MEDIASOUP_WORKER_BIN;
await import(pathToFileURL(join(ROOT, 'dist', 'src', 'main.js')).href);
