// Starts a TCP server (node:http or node:net) listening; rejects with the bind error (port in use,
// an address this machine does not have) instead of leaving it to an 'error' event nobody awaits.
import type { Server } from 'node:net';

export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
