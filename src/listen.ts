import { once } from 'node:events';
import net from 'node:net';

/** Why the service cannot listen on `host`:`port`, in one line that names the setting to change. */
export function listenFailure(error: NodeJS.ErrnoException, host: string, port: number): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return `PORT ${port} is already in use on ${host}: stop what listens there, or set PORT to a free port`;
    case 'EACCES':
      return `PORT ${port} needs privileges this process does not have: set PORT to 1024 or above`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `HOST ${host} is not an address of this machine: set HOST to 0.0.0.0 (every interface) or 127.0.0.1 (this machine only)`;
    default:
      return `cannot listen on ${host}:${port} (HOST, PORT): ${error.message}`;
  }
}

/**
 * Opens and closes `host`:`port`, so that a port in use is found before anything is started or
 * written (the database migrated, the super admin created).
 */
export async function probeListen(host: string, port: number): Promise<void> {
  const server = net.createServer();
  server.listen({ host, port, exclusive: true });
  await once(server, 'listening'); // rejects with the server's error instead
  server.close();
  await once(server, 'close');
}
