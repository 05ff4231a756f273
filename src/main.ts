import type { Server } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from './config/app-config.js';
import { unsupportedNode } from './config/runtime.js';

// Before the rest is loaded: on an older Node the imports themselves fail (a missing export, a
// require() of an ES module) with an error that names neither version.
const tooOld = unsupportedNode();
if (tooOld) {
  console.error(tooOld);
  process.exit(1);
}
await import('reflect-metadata');
const { NestFactory } = await import('@nestjs/core');
const { Logger } = await import('nestjs-pino');
const { AppModule } = await import('./app.module.js');
const { configureApp, createAdapter } = await import('./app.setup.js');
const { ConfigError, loadConfig } = await import('./config/app-config.js');
const { Draining } = await import('./health/draining.js');
const { listenFailure, probeListen } = await import('./listen.js');
const { prepareDatabase } = await import('./database/migrator.js');

/** A shutdown that has not finished by then is cut short (orchestrators kill soon after anyway). */
const SHUTDOWN_DEADLINE_MS = 10_000;

async function bootstrap(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(); // fail before anything starts, with a message that names the variable
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    exit(error.message);
  }
  const { host, port } = config;
  await probeListen(host, port).catch((error: NodeJS.ErrnoException) =>
    exit(listenFailure(error, host, port)),
  );
  await prepareDatabase(config);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config),
    createAdapter(config.trustProxy),
    { bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  await configureApp(app);
  await app
    .listen(port, host)
    .catch((error: NodeJS.ErrnoException) => exit(listenFailure(error, host, port)));
  app
    .get(Logger)
    .log(
      `listening on http://${host.includes(':') ? `[${host}]` : host}:${port} ` +
        `(admin page ${config.publicUrl}/admin, API docs ${config.publicUrl}/docs)`,
    );

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void shutdown(app, signal, config.shutdownDrainMs));
  }
}

function exit(message: string): never {
  console.error(message);
  process.exit(1);
}

/**
 * After SIGTERM (an orchestrator's), drain first. Then stop accepting connections and let the
 * requests in flight finish (idle keep-alive connections are closed), then run the shutdown hooks:
 * the last-used marks are flushed and the pool closed only once no request can add to them.
 * SIGINT (a person's Ctrl-C) does not drain.
 */
async function shutdown(app: NestFastifyApplication, signal: string, drainMs: number): Promise<void> {
  const logger = app.get(Logger);
  logger.log(`${signal} received: shutting down`);
  if (signal === 'SIGTERM' && drainMs > 0) await drain(app, drainMs);
  setTimeout(() => {
    logger.error(`shutdown did not finish within ${SHUTDOWN_DEADLINE_MS} ms`);
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS).unref();
  try {
    await app.getHttpAdapter().getInstance().close();
    await app.close();
  } catch (error) {
    logger.error(`shutdown failed: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}

/**
 * Answers as before for up to `ms`, as load balancers stop routing here (/ready answers 503), but
 * every answer closes its connection: a client on a keep-alive connection is told to go elsewhere
 * instead of finding the connection reset when the server closes it. Ends once no connection is open.
 */
async function drain(app: NestFastifyApplication, ms: number): Promise<void> {
  app.get(Draining).start();
  const server = app.getHttpServer() as Server;
  const open = () =>
    new Promise<number>((resolve) => server.getConnections((_error, count) => resolve(count)));
  for (const until = Date.now() + ms; Date.now() < until && (await open()) > 0;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

await bootstrap();
