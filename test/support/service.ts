import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TEST_ENV } from './env.js';

const MAIN = resolve(import.meta.dirname, '../../dist/main.js');

/** A local port nothing listens on. */
export async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * The built service (`npm run build`) as its own process, as production runs it, on a temporary
 * SQLite file unless `env` names another DATABASE_URL (several instances on one database).
 */
export class ServiceProcess {
  readonly output: string[] = [];
  readonly url: string;
  readonly databaseFile: string;
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  private constructor(
    port: number,
    private readonly folder: string,
    env: NodeJS.ProcessEnv,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.databaseFile = join(folder, 'voipbin.sqlite');
    this.child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH,
        ...TEST_ENV,
        PORT: String(port),
        DATABASE_URL: `sqlite:${this.databaseFile}`,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    const collect = (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      this.output.push(...lines);
    };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.exited = once(this.child, 'exit').then(([code]) => code as number | null);
  }

  /** The process, without waiting for it to come up (or fail). */
  static async launch(env: NodeJS.ProcessEnv = {}, port?: number): Promise<ServiceProcess> {
    return new ServiceProcess(port ?? (await freePort()), mkdtempSync(join(tmpdir(), 'voipbin-')), env);
  }

  static async start(env: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> {
    const service = await ServiceProcess.launch(env);
    for (let i = 0; i < 600; i++) {
      const up = await fetch(`${service.url}/health`).then(
        (res) => res.ok,
        () => false,
      );
      if (up) return service;
      await new Promise((r) => setTimeout(r, 100));
    }
    await service.stop();
    throw new Error(`the service did not start:\n${service.output.join('\n')}`);
  }

  /** The JSON log lines written so far. */
  logLines(): Record<string, unknown>[] {
    return this.output.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves with the exit code, or null if the process has not exited within `ms`. */
  async exitCode(ms: number): Promise<number | null | 'running'> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'running'>((r) => (timer = setTimeout(() => r('running'), ms)));
    const code = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    return code;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    rmSync(this.folder, { recursive: true, force: true });
  }
}
