// Set-up only (no start): used by the Docker image build. `npm start` and `npm test` run it too.
import { setup, orExit } from './setup/index.mjs';

await orExit(() => setup());
