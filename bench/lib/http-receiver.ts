// An HTTP receiver on 127.0.0.1 (webhooks, API callbacks), shared by the benches and the tests.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpReceiver {
  /** `http://127.0.0.1:<port><path>`. */
  url: string;
  /** Stops listening and drops open (keep-alive) connections. */
  close(): Promise<void>;
}

/** Reads each request's whole body (UTF-8) and hands it to `answer`, which must end the response. */
export async function startHttpReceiver(path: string, answer: (body: string, req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<HttpReceiver> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => answer(body, req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Senders keep their connections alive: close them too, or close() waits for them.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
