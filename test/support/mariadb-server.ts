import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';

const run = promisify(execFile);

/** A port nobody listens on now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * A MariaDB server of the test's own (the shared one is never reconfigured or stopped), in a
 * folder under `root` that the caller removes. `admin` connects as root through the socket.
 */
export class MariaDbServer {
  private constructor(
    private readonly process: ChildProcess,
    readonly port: number,
    readonly socket: string,
  ) {}

  /** Installs an empty data directory and starts the server on it; `options` go to mariadbd. */
  static async start(root: string, name: string, options: string[]): Promise<MariaDbServer> {
    const folder = join(root, name);
    const datadir = join(folder, 'data');
    mkdirSync(datadir, { recursive: true });
    await run('mariadb-install-db', [
      '--no-defaults',
      `--datadir=${datadir}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--user=root',
    ]);
    const port = await freePort();
    const socket = join(folder, 'mysqld.sock');
    const child = spawn(
      '/usr/sbin/mariadbd',
      [
        '--no-defaults',
        `--datadir=${datadir}`,
        `--socket=${socket}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--pid-file=${join(folder, 'mysqld.pid')}`,
        `--log-error=${join(folder, 'error.log')}`,
        '--user=root',
        // Small and quick: the test writes a few rows.
        '--innodb-buffer-pool-size=16M',
        '--innodb-log-file-size=8M',
        '--skip-name-resolve',
        ...options,
      ],
      { stdio: 'ignore' },
    );
    const server = new MariaDbServer(child, port, socket);
    for (let attempt = 0; ; attempt++) {
      try {
        await (await server.admin()).end();
        return server;
      } catch (error) {
        if (child.exitCode !== null || attempt > 400) {
          child.kill('SIGKILL');
          await new Promise((resolve) =>
            child.exitCode === null ? child.once('exit', resolve) : resolve(null),
          );
          const log = readFileSync(join(folder, 'error.log'), { encoding: 'utf8', flag: 'a+' });
          throw new Error(`mariadbd ${name} did not start: ${log.split('\n').slice(-8).join('\n')}`, {
            cause: error,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  admin(): Promise<mysql.Connection> {
    return mysql.createConnection({ socketPath: this.socket, user: 'root', multipleStatements: true });
  }

  /** Runs statements as root and closes the connection. */
  async sql<Row = unknown>(statement: string, values: unknown[] = []): Promise<Row[]> {
    const connection = await this.admin();
    try {
      const [rows] = await connection.query(statement, values);
      return rows as Row[];
    } finally {
      await connection.end();
    }
  }

  /** Freezes the server (SIGSTOP): it keeps its connections and port, and answers nothing. */
  pause(): void {
    this.process.kill('SIGSTOP');
  }

  resume(): void {
    this.process.kill('SIGCONT');
  }

  /** Stops the server and waits for it to be gone. */
  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
