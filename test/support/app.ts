import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { Server } from 'node:http';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module.js';
import { configureApp, createAdapter } from '../../src/app.setup.js';
import { Clock } from '../../src/common/clock.js';
import { AppConfig, loadConfig } from '../../src/config/app-config.js';
import { migrateForStart } from '../../src/database/migrator.js';
import { TEST_ENV, TEST_JWT_SECRET, TEST_PUBLIC_URL } from './env.js';
import { Relay } from './relay.js';

export { ADMIN_PASSWORD, ADMIN_USERNAME, TEST_JWT_SECRET } from './env.js';

export interface TestApp {
  app: NestFastifyApplication;
  http: Server;
  ds: DataSource;
  config: AppConfig;
  close(): Promise<void>;
}

/** A clock the test moves by hand. */
export class FakeClock extends Clock {
  private at = Date.now();

  override now(): Date {
    return new Date(this.at);
  }

  advance(seconds: number): void {
    this.at += seconds * 1000;
  }
}

/** Migrates the database and boots the real AppModule, as main.ts does. */
export async function startApp(
  databaseUrl: string,
  env: NodeJS.ProcessEnv = {},
  clock: Clock = new Clock(),
): Promise<TestApp> {
  const config = loadConfig({
    ...TEST_ENV,
    DATABASE_URL: databaseUrl,
    // Request lines would drown the test output; the logging spec reads the built service's.
    LOG_LEVEL: 'silent',
    ...env,
  });
  await migrateForStart(config, { info: () => undefined, warn: () => undefined });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] })
    .overrideProvider(Clock)
    .useValue(clock)
    .compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createAdapter(config.trustProxy), {
    logger: false,
  });
  await configureApp(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    http: app.getHttpServer() as Server,
    ds: app.get(DataSource),
    config,
    close: () => app.close(),
  };
}

/**
 * `startApp` on a MySQL/MariaDB database reached through a relay of its own, which the test cuts,
 * stalls and heals; `close` restores the relay and closes both.
 */
export async function startAppThroughRelay(
  databaseUrl: string,
  env: NodeJS.ProcessEnv = {},
): Promise<TestApp & { relay: Relay }> {
  const url = new URL(databaseUrl);
  const relay = new Relay(url.hostname, Number(url.port || 3306));
  url.port = String(await relay.listen());
  url.hostname = '127.0.0.1';
  const t = await startApp(url.toString(), env);
  const close = async () => {
    relay.restore();
    await t.close();
    await relay.close();
  };
  return { ...t, relay, close };
}

export async function login(http: Server, username: string, password: string): Promise<string> {
  const res = await request(http).post('/auth/login').send({ username, password }).expect(200);
  return (res.body as { token: string }).token;
}

/** A JWT signed by the test as the specs' service signs them (HS256), less what `options` changes. */
export function signJwt(claims: object, options: jwt.SignOptions = {}, secret = TEST_JWT_SECRET): string {
  return jwt.sign(claims, secret, {
    algorithm: 'HS256',
    issuer: TEST_PUBLIC_URL,
    audience: TEST_PUBLIC_URL,
    expiresIn: 3600,
    ...options,
  });
}
