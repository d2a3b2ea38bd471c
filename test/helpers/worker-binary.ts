// Runs in every test process before any test file imports mediasoup.
import { useCachedMediasoupWorker } from '../../src/runtime/mediasoup-binary.js';

useCachedMediasoupWorker();
