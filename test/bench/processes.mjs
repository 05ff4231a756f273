// The processes the bench measures and the databases behind them: the built service, the bare
// node:http baseline, the reference servers of test/bench/reference.mjs. All are stopped on exit.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mysql from 'mysql2/promise';

const ROOT = resolve(import.meta.dirname, '../..');

/** The service's JWT secret and super admin: made for this run, so no real credential is needed. */
export const SECRET = randomBytes(48).toString('base64url');
export const ADMIN = { username: 'bench-admin', password: randomBytes(15).toString('base64url') };
/** The service's PUBLIC_URL: the issuer and audience of its JWTs, whatever port it listens on. */
export const PUBLIC_URL = 'http://bench.localhost';

const children = [];
/** The process serving each origin, whose CPU time a run reads. */
const servers = new Map();
/** The MySQL databases this run created, to drop at the end. */
const created = [];

function stopChildren() {
  for (const child of children) {
    if (child.exitCode !== null) continue;
    child.kill('SIGTERM');
    child.kill('SIGCONT'); // a paused redis-server, so that it takes the SIGTERM
  }
}
// Ctrl-C leaves through process.exit, so that the 'exit' handler stops the children.
process.on('exit', stopChildren);
process.on('SIGINT', () => process.exit(130));

export function build() {
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

/** The pid of the process serving `url`'s origin. */
export function pidServing(url) {
  return servers.get(new URL(url).origin);
}

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** Until `url` answers (any answer, with `anyStatus`), or the process exits. */
async function waitFor(url, child, anyStatus = false) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok || anyStatus) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

function track(child, base) {
  children.push(child);
  servers.set(base, child.pid);
}

/** The bare node:http server the ratios are taken against: a ~200-byte JSON answer, nothing else. */
export async function startBaseline() {
  const port = await freePort();
  const source = `
    const body = JSON.stringify({ id: '${randomUUID()}', username: 'bench-admin', name: 'Administrator',
      detail: 'created at first start', permission: 33, tm_create: new Date().toISOString(),
      tm_update: null, tm_delete: null });
    require('node:http').createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(body);
    }).listen(${port}, '127.0.0.1');`;
  const child = spawn(process.execPath, ['-e', source], { stdio: 'inherit' });
  const base = `http://127.0.0.1:${port}`;
  track(child, base);
  await waitFor(`${base}/`, child);
  return base;
}

/**
 * One of the reference servers (test/bench/reference.mjs), each answering
 * GET /v1.0/customer with the baseline's JSON: what the framework and its parts allow in this run.
 */
export async function startReference(kind, accessKey, mysqlUrl = '') {
  const port = await freePort();
  const script = join(ROOT, 'test/bench/reference.mjs');
  const child = spawn(process.execPath, [script, kind, String(port), accessKey, SECRET, mysqlUrl], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const base = `http://127.0.0.1:${port}`;
  track(child, base);
  await waitFor(`${base}/v1.0/customer`, child, true);
  return `${base}/v1.0/customer`;
}

/** The built service (dist/main.js) on `databaseUrl`; `env` overrides its settings. */
export async function startService(databaseUrl, env = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'dist/main.js')], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      JWT_SECRET: SECRET,
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      COOKIE_SECURE: 'false',
      PUBLIC_URL,
      LOGIN_LIMIT_PER_USERNAME_IP: '100000000',
      LOGIN_LIMIT_PER_IP: '100000000',
      LOGIN_LIMIT_PER_USERNAME: '100000000',
      // The cache is off by default (see README); measured here as a single instance runs it.
      AUTH_CACHE_TTL: '10',
      ...env,
    },
  });
  const base = `http://127.0.0.1:${port}`;
  track(child, base);
  await waitFor(`${base}/health`, child);
  return { base, child };
}

/**
 * A redis-server of this run's own, on its own port (`port`, or a free one), in a temporary folder,
 * nothing persisted: one the bench may stop, pause and start again, never a shared one.
 */
export async function startRedis(port) {
  port ??= await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'voipbin-bench-redis-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('redis-server', [...args, '--dir', dir], { stdio: 'ignore' });
  children.push(child);
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    if (await listening(port)) return { child, port, url: `redis://127.0.0.1:${port}` };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`redis-server on port ${port} did not come up`);
}

/** Whether something accepts connections on the port. */
function listening(port) {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.end();
      done(true);
    });
    socket.on('error', () => done(false));
  });
}

/** Stops one process this run started, and waits for it to exit. */
export async function stop(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

/**
 * A fresh database for this run. SQLite: a file in a temporary directory. MySQL:
 * `<mysqlUrl's database>_<label>_<pid>`, so that two runs on one server never drop each other's
 * tables. Removed again at the end.
 */
export async function prepareDatabase(kind, mysqlUrl, label) {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'voipbin-bench-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    return `sqlite:${join(dir, 'bench.sqlite')}`;
  }
  const url = new URL(mysqlUrl);
  const name = [url.pathname.slice(1) || 'voipbin_bench', label, process.pid].filter(Boolean).join('_');
  url.pathname = `/${name}`;
  const connection = await mysql.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  });
  await connection.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await connection.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await connection.end();
  created.push(url);
  return url.toString();
}

async function dropDatabases() {
  for (const url of created) {
    const connection = await mysql.createConnection({ uri: url.toString().replace(url.pathname, '/') });
    await connection.query(`DROP DATABASE IF EXISTS \`${url.pathname.slice(1)}\``);
    await connection.end();
  }
}

/** Stops every process this run started, then drops its databases. */
export async function shutDown() {
  // autocannon stops with requests still queued in the service: let them finish first.
  await new Promise((r) => setTimeout(r, 1000));
  stopChildren();
  await new Promise((r) => setTimeout(r, 500));
  await dropDatabases();
}
