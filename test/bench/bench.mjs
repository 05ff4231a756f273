#!/usr/bin/env node
// Throughput of the authenticated paths, as a ratio to a bare node:http server measured in the same
// run. Not a test: it prints numbers. Usage:
//   npm run bench -- [--db sqlite|mysql] [--rounds 3] [--duration 5] [--no-build] [--growth] [--soak]
//     [--references] (also measures the reference servers of test/bench/reference.mjs)
// See docs/performance.md for what it measured on this project's machine.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import jwt from 'jsonwebtoken';
import mysql from 'mysql2/promise';

const ROOT = resolve(import.meta.dirname, '../..');
const { values: opts } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite' },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    'no-build': { type: 'boolean', default: false },
    growth: { type: 'boolean', default: false },
    soak: { type: 'boolean', default: false },
    references: { type: 'boolean', default: false },
    only: { type: 'string' },
    'mysql-url': { type: 'string', default: 'mysql://root@127.0.0.1:3306/voipbin_bench' },
  },
});
const ROUNDS = Number(opts.rounds);
const DURATION = Number(opts.duration);
const CONNECTIONS = Number(opts.connections);
const SECRET = randomBytes(48).toString('base64url');
const ADMIN = { username: 'bench-admin', password: randomBytes(15).toString('base64url') };
const children = [];

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

function stopAll() {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

/** The bare node:http server the ratios are taken against: a ~200-byte JSON answer, nothing else. */
async function startBaseline() {
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
  children.push(child);
  await waitFor(`http://127.0.0.1:${port}/`, child);
  servers.set(`http://127.0.0.1:${port}`, child.pid);
  return `http://127.0.0.1:${port}`;
}

/**
 * One of the performance issue's reference servers (test/bench/reference.mjs), each answering
 * GET /v1.0/customer with the baseline's JSON: what the framework and its parts allow in this run.
 */
async function startReference(kind, accessKey) {
  const port = await freePort();
  const script = join(ROOT, 'test/bench/reference.mjs');
  const child = spawn(process.execPath, [script, kind, String(port), accessKey, SECRET], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  servers.set(base, child.pid);
  await waitFor(`${base}/v1.0/customer`, child, true);
  return `${base}/v1.0/customer`;
}

const REFERENCES = [
  ['fastify', 'reference: Fastify alone'],
  ['nest', 'reference: NestJS on Fastify, no auth'],
  ['nest-guard', 'reference: NestJS + a plain guard, key in a Map'],
  ['nest-custom', 'reference: NestJS + passport-custom, key in a Map'],
  ['nest-custom-ops', 'reference: the same + request id, headers, log line, histogram'],
  ['nest-jwt', 'reference: NestJS + passport-jwt, KeyObject'],
];

/** The reference servers' scenarios, with the credential each one checks. */
async function referenceScenarios(jwtToken) {
  const accessKey = `vb_${randomBytes(24).toString('base64url')}`;
  const scenarios = [];
  for (const [kind, name] of REFERENCES) {
    const url = await startReference(kind, accessKey);
    const headers = { authorization: `Bearer ${kind === 'nest-jwt' ? jwtToken : accessKey}` };
    scenarios.push({ name, run: () => run(url, { headers }) });
  }
  return scenarios;
}

const created = [];

/**
 * A fresh database for this run: `<--mysql-url's database>_<label>_<pid>`, so that two runs on one
 * server never drop each other's tables. Dropped again at the end.
 */
async function prepareDatabase(label) {
  if (opts.db === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'voipbin-bench-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    return `sqlite:${join(dir, 'bench.sqlite')}`;
  }
  const url = new URL(opts['mysql-url']);
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

async function startService(databaseUrl, env = {}) {
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
      LOGIN_LIMIT_PER_IP: '100000000',
      LOGIN_LIMIT_PER_USERNAME: '100000000',
      // The cache is off by default (see README); measured here as a single instance runs it.
      AUTH_CACHE_TTL: '10',
      ...env,
    },
  });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  servers.set(base, child.pid);
  await waitFor(`${base}/health`, child);
  return { base, child };
}

function rssMiB(child) {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024);
}

async function call(base, method, path, { token, body } = {}) {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Logs in as the super admin, and gives it 100 keys so that the list answers a full page. */
async function seed(base) {
  const { token: jwtToken } = await call(base, 'POST', '/auth/login', { body: ADMIN });
  const keys = [];
  for (let i = 0; i < 100; i++) {
    keys.push(
      (await call(base, 'POST', '/v1.0/accesskeys', { token: jwtToken, body: { name: `k${i}` } })).token,
    );
  }
  return { jwtToken, accessKey: keys[0] };
}

/** The process serving each origin, whose CPU time a run reads. */
const servers = new Map();

/** User + system CPU seconds of a process so far, all its threads. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ)
}

function run(url, options = {}) {
  const pid = servers.get(new URL(url).origin);
  const cpuBefore = cpuSeconds(pid);
  return new Promise((done, fail) => {
    autocannon({ url, connections: CONNECTIONS, duration: DURATION, ...options }, (error, result) => {
      if (error) return fail(error);
      const bad = result.non2xx + result.errors + result.timeouts;
      if (bad > 0 && !options.allowErrors) {
        const detail = JSON.stringify({
          ...result.statusCodeStats,
          errors: result.errors,
          timeouts: result.timeouts,
        });
        return fail(new Error(`${url}: ${bad} failed requests of ${result.requests.total}: ${detail}`));
      }
      const cpu = cpuSeconds(pid) - cpuBefore;
      done({
        rps: result.requests.average,
        p99: result.latency.p99,
        total: result.requests.total,
        cpuPerRequest: cpu / result.requests.total,
      });
    });
  });
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * Each scenario right after its own baseline run (A B A C A D ...), for ROUNDS rounds, after one
 * unrecorded warm-up run of each (the JIT, the caches). A scenario's ratio is the median of its
 * ratios to the baseline run just before it, so load that comes and goes on the machine weighs on
 * both sides of each ratio alike.
 */
async function measure(baseline, scenarios) {
  const base = { name: 'bare node:http', run: () => run(baseline) };
  for (const scenario of [base, ...scenarios]) await scenario.run();
  const baselines = [];
  const samples = new Map(scenarios.map((s) => [s.name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const scenario of scenarios) {
      const reference = await base.run();
      const sample = await scenario.run();
      baselines.push(reference);
      samples.get(scenario.name).push({
        ...sample,
        ratio: sample.rps / reference.rps,
        cpuRatio: reference.cpuPerRequest / sample.cpuPerRequest,
      });
      console.error(
        `round ${round} ${scenario.name}: ${Math.round(sample.rps)} req/s, p99 ${sample.p99} ms ` +
          `(node:http ${Math.round(reference.rps)} req/s)`,
      );
    }
  }
  const summary = (name, xs) => ({
    name,
    rps: median(xs.map((x) => x.rps)),
    p99: median(xs.map((x) => x.p99)),
    ratio: xs[0].ratio === undefined ? 1 : median(xs.map((x) => x.ratio)),
    cpuRatio: xs[0].cpuRatio === undefined ? 1 : median(xs.map((x) => x.cpuRatio)),
    cpuUs: median(xs.map((x) => x.cpuPerRequest * 1e6)),
    extra: xs[0].extra === undefined ? '' : median(xs.map((x) => x.extra)),
  });
  return [summary(base.name, baselines), ...scenarios.map((s) => summary(s.name, samples.get(s.name)))];
}

/**
 * Requests per second and their ratio to node:http (the targets), and beside them the server's CPU
 * time per request and the same ratio by CPU time, which load from other processes moves less.
 */
function table(title, rows, extraHeader) {
  const extra = extraHeader ? ` ${extraHeader} |` : '';
  const lines = [
    `### ${title}`,
    '',
    `| scenario | req/s | p99 ms | ratio to node:http | server CPU µs/req | ratio by CPU time |${extra}`,
    `|---|---:|---:|---:|---:|---:|${extraHeader ? '---:|' : ''}`,
    ...rows.map(
      (r) =>
        `| ${r.name} | ${Math.round(r.rps)} | ${r.p99} | ${r.ratio.toFixed(3)} | ${Math.round(r.cpuUs)} | ` +
        `${r.cpuRatio.toFixed(3)} |` +
        (extraHeader ? ` ${r.extra === '' ? '' : Math.round(r.extra * 10) / 10} |` : ''),
    ),
    '',
  ];
  console.log(lines.join('\n'));
}

/** Authenticated calls alone, then while 16 clients log in without pause. */
function underLogins(url, headers) {
  return async () => {
    const logins = run(`${url.origin}/auth/login`, {
      connections: 16,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
      duration: DURATION + 1,
    });
    await new Promise((r) => setTimeout(r, 500));
    const sample = await run(url.href, { headers });
    const loginResult = await logins;
    return { ...sample, extra: loginResult.rps };
  };
}

async function mainScenarios() {
  const baseline = await startBaseline();
  const { base, child } = await startService(await prepareDatabase(''));
  const { jwtToken, accessKey } = await seed(base);
  const me = new URL(`${base}/v1.0/customer`);
  const scenarios = [
    { name: 'GET /health (no credential: the framework alone)', path: '/health' },
    { name: 'GET /v1.0/customer, access key (Bearer)', headers: { authorization: `Bearer ${accessKey}` } },
    { name: 'GET /v1.0/customer, JWT (Bearer)', headers: { authorization: `Bearer ${jwtToken}` } },
    { name: 'GET /v1.0/customer?token=JWT', query: `?token=${jwtToken}` },
    {
      name: 'GET /v1.0/accesskeys (100 keys), access key',
      path: '/v1.0/accesskeys',
      headers: { authorization: `Bearer ${accessKey}` },
    },
  ].map((s) => ({
    name: s.name,
    run: () => run(`${base}${s.path ?? '/v1.0/customer'}${s.query ?? ''}`, { headers: s.headers }),
  }));
  if (opts.references) scenarios.unshift(...(await referenceScenarios(jwtToken)));
  const only = opts.only ? new RegExp(opts.only, 'i') : null;
  table(
    `Throughput, ${opts.db}, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION} s (medians)`,
    await measure(
      baseline,
      scenarios.filter((s) => !only || only.test(s.name)),
    ),
  );

  if (only && !only.test('login')) return;
  const headers = { authorization: `Bearer ${accessKey}` };
  const rows = await measure(baseline, [
    { name: 'access key, idle', run: () => run(me.href, { headers }) },
    { name: 'access key, 16 clients logging in', run: underLogins(me, headers) },
  ]);
  table(`Authenticated calls while 16 clients log in, ${opts.db}`, rows, 'logins/s');
  console.log(`p99 under logins / idle p99: ${(rows[2].p99 / rows[1].p99).toFixed(2)}\n`);

  if (opts.soak) await soak(base, child, baseline);
}

/** A million requests over many distinct credentials: every cache must stay bounded. */
async function soak(base, child, baseline) {
  const { token: jwtToken } = await call(base, 'POST', '/auth/login', { body: ADMIN });
  const me = await call(base, 'GET', '/v1.0/customer', { token: jwtToken });
  const tokens = [];
  // Distinct JWTs, as many clients would hold: each fills a cache slot once.
  for (let i = 0; i < 50_000; i++) {
    tokens.push(
      jwt.sign({ customer: { id: me.id }, gen: 0 }, SECRET, {
        algorithm: 'HS256',
        expiresIn: 3600,
        issuer: 'voipbin-auth',
        subject: me.id,
        jwtid: randomUUID(),
      }),
    );
  }
  const before = rssMiB(child);
  let i = 0;
  const result = await new Promise((done, fail) =>
    autocannon(
      {
        url: `${base}/v1.0/customer`,
        connections: CONNECTIONS,
        amount: 1_000_000,
        requests: [
          {
            setupRequest: (req) => ({
              ...req,
              headers: { authorization: `Bearer ${tokens[i++ % tokens.length]}` },
            }),
          },
        ],
      },
      (error, r) => (error ? fail(error) : done(r)),
    ),
  );
  const after = rssMiB(child);
  console.log(
    `### Soak\n\n${result.requests.total} requests over ${tokens.length} distinct JWTs: ` +
      `${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms, ` +
      `${result.non2xx + result.errors} failed; RSS ${before} MiB before, ${after} MiB after.\n`,
  );
  void baseline;
}

/** Growth: the same lookups with 1,000 and with 1,000,000 keys in the table. */
async function growth() {
  if (opts.db !== 'mysql') throw new Error('--growth runs on --db mysql');
  const baseline = await startBaseline();
  const url = await prepareDatabase('growth');
  // Caches off: each request pays the database lookup this measures.
  const { base, child } = await startService(url, { AUTH_CACHE_TTL: '0' });
  const { accessKey, jwtToken } = await seed(base);
  const db = await mysql.createConnection({ uri: url, timezone: 'Z' });
  const [[admin]] = await db.query('SELECT customer_id AS id FROM access_keys LIMIT 1');
  await db.query(
    `INSERT INTO customers (id, username, password_hash, name, detail, permission, live, tm_create)
     VALUES (?, 'bench-bulk', 'x', 'bulk', '', 32, 1, NOW(3))`,
    [randomUUID()],
  );
  const [[bulk]] = await db.query("SELECT id FROM customers WHERE username = 'bench-bulk'");

  async function fill(customerId, count) {
    const t0 = Date.now() - count;
    for (let done = 0; done < count;) {
      const rows = [];
      for (let j = 0; j < 5000 && done < count; j++, done++) {
        const hash = createHash('sha256').update(randomBytes(24)).digest('hex');
        rows.push([
          randomUUID(),
          customerId,
          'bulk',
          '',
          hash,
          'vb_bulk0000',
          new Date(t0 + done + 86400e6),
          new Date(t0 + done),
        ]);
      }
      await db.query(
        'INSERT INTO access_keys (id, customer_id, name, detail, token_hash, token_prefix, tm_expire, tm_create) VALUES ?',
        [rows],
      );
    }
  }

  async function pageToken(n) {
    let token = '';
    for (let page = 1; page < n; page++) {
      token = (await call(base, 'GET', `/v1.0/accesskeys?page_token=${token}`, { token: jwtToken }))
        .next_page_token;
    }
    return token;
  }

  const scenarios = (withDeepPage) => [
    {
      name: 'access key auth (uncached), GET /v1.0/customer',
      run: () => run(`${base}/v1.0/customer`, { headers: { authorization: `Bearer ${accessKey}` } }),
    },
    {
      name: 'GET /v1.0/accesskeys page 1',
      run: () => run(`${base}/v1.0/accesskeys`, { headers: { authorization: `Bearer ${jwtToken}` } }),
    },
    ...(withDeepPage
      ? [
          {
            name: 'GET /v1.0/accesskeys page 1000',
            run: () =>
              run(`${base}/v1.0/accesskeys?page_token=${withDeepPage}`, {
                headers: { authorization: `Bearer ${jwtToken}` },
              }),
          },
        ]
      : []),
  ];

  await fill(bulk.id, 900);
  table('Growth: 1,000 keys in the table (caches off)', await measure(baseline, scenarios(null)));
  console.error('inserting a million keys...');
  await fill(admin.id, 100_000 - 100);
  await fill(bulk.id, 1_000_000 - 100_000 - 900);
  await db.query('ANALYZE TABLE access_keys');
  const [[{ n }]] = await db.query('SELECT COUNT(*) AS n FROM access_keys');
  const deep = await pageToken(1000);
  const [plan] = await db.query(
    `EXPLAIN SELECT k.id FROM access_keys k INNER JOIN customers c ON c.id = k.customer_id
     WHERE (k.token_hash = ? OR k.previous_token_hash = ?) AND k.tm_delete IS NULL AND c.tm_delete IS NULL`,
    ['0'.repeat(64), '0'.repeat(64)],
  );
  console.log(
    `Plan of the key lookup: ${plan.map((p) => `${p.table} ${p.type} ${p.key} rows=${p.rows}`).join('; ')}\n`,
  );
  table(`Growth: ${n} keys in the table (caches off)`, await measure(baseline, scenarios(deep)));
  await db.end();
  console.log(`RSS of the service: ${rssMiB(child)} MiB\n`);
}

try {
  if (!opts['no-build']) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  console.log(
    `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, database ${opts.db}, ` +
      `${CONNECTIONS} connections\n`,
  );
  if (opts.growth) await growth();
  else await mainScenarios();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  // autocannon stops with requests still queued in the service: let them finish first.
  await new Promise((r) => setTimeout(r, 1000));
  stopAll();
  await new Promise((r) => setTimeout(r, 500));
  await dropDatabases();
}
