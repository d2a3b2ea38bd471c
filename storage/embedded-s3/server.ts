// Child process entry: the embedded S3-compatible server (s3rver) used when no S3_ENDPOINT is set.
// Runs in its own process so object traffic never competes with signaling on the main event loop.
// Usage: node server.js <directory> [port]   → prints `embedded-s3 ready on 127.0.0.1:<port>`.
import S3rver from 's3rver';

const [directory, portArg] = process.argv.slice(2);
if (!directory) {
  process.stderr.write('usage: server.js <directory> [port]\n');
  process.exit(2);
}

const server = new S3rver({ address: '127.0.0.1', port: Number(portArg ?? 0), directory, silent: true });
const address = (await server.run()) as { port: number };
process.stdout.write(`embedded-s3 ready on 127.0.0.1:${address.port}\n`);

const stop = () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
