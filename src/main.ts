// Entry point. mediasoup must learn where its worker binary is before it is first imported, so the
// rest of the server is loaded only after that.
import { useCachedMediasoupWorker } from './runtime/mediasoup-binary.js';

useCachedMediasoupWorker();
const { runServer } = await import('./server.js');
await runServer();
