#!/usr/bin/env node
// Throughput of the authenticated paths, as a ratio to a bare node:http server measured in the same
// run. Not a test: it prints numbers. `npm run bench -- --help` lists the switches; see
// docs/performance.md for what it measured on this project's machine.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { keyLookupPlan, measure, rssMiB, run, runOverTokens, sideBySide, table } from './measure.mjs';
import {
  ADMIN,
  build,
  prepareDatabase,
  shutDown,
  startBaseline,
  startReference,
  startService,
} from './processes.mjs';
import { scale } from './scale.mjs';
import { call, fillKeys, growthCustomers, login, pageToken, seedAdmin, signJwts } from './seed.mjs';

const USAGE = `Usage: npm run bench -- [switches]

  --db sqlite|mysql  the service's database (default sqlite)
  --rounds N         measured rounds of each scenario, after one warm-up run of each (default 3)
  --duration S       seconds of each autocannon run (default 5)
  --connections N    connections of each autocannon run; the login load uses 16 (default 50)
  --no-build         run dist/ as it is (default: npm run build first)
  --config shipped|redis  the service as shipped (no Redis, the cache off), or with REDIS_URL
                     (the cache on by default; --redis-url) (default: the cache on, no Redis)
  --redis-url URL    the Redis server of --config redis and --scale (default redis://127.0.0.1:6379)
  --references       also measure the reference servers of test/bench/reference.mjs (default off)
  --only REGEX       only the throughput scenarios whose name matches, case-insensitive; the
                     login table and --soak run only if REGEX matches "login" too (default: all)
  --soak             after the tables: a million requests over 50,000 distinct JWTs, and the
                     service's RSS before and after (default off)
  --growth           instead of the tables: the lookups with 1,000 and with 1,000,000 keys in the
                     table; needs --db mysql; ignores --references, --only, --soak (default off)
  --webhooks         instead of the tables: authenticated calls of a customer with no webhook, of
                     one whose webhook_uri refuses connections and of one whose receiver accepts
                     them and never answers, alternating in the same rounds, with each one's p99,
                     req/s and CPU per request as a ratio to the first's (default off)
  --scale            instead of the tables, on --mysql-url and --redis-url (--db is ignored): two
                     instances; a key cached on B, deleted through A, B polled until it refuses
                     (--revocations times); then one instance's server CPU per request of each
                     credential kind and per login; then the window in which B still accepts a key
                     revoked through A while Redis is stopped, and while it is paused (--outage-runs
                     times each), on a redis-server of the run's own (on a free port), and the time
                     to recover once it is back (default off)
  --revocations N    revocations timed by --scale (default 1000)
  --outage-runs N    revocations timed by --scale in each kind of Redis outage (default 20)
  --mysql-url URL    the MySQL server for --db mysql, and the name of the database each run
                     creates and drops: <name>_<pid>, or <name>_growth_<pid> with --growth
                     (<name>_scale_<pid> with --scale)
                     (default mysql://root@127.0.0.1:3306/voipbin_bench)
  --help, -h         this text`;

/** The switches, or the usage text and exit 2 on one it does not know. */
function parseSwitches() {
  try {
    return parseArgs({
      options: {
        db: { type: 'string', default: 'sqlite' },
        rounds: { type: 'string', default: '3' },
        duration: { type: 'string', default: '5' },
        connections: { type: 'string', default: '50' },
        'no-build': { type: 'boolean', default: false },
        growth: { type: 'boolean', default: false },
        soak: { type: 'boolean', default: false },
        references: { type: 'boolean', default: false },
        webhooks: { type: 'boolean', default: false },
        scale: { type: 'boolean', default: false },
        revocations: { type: 'string', default: '1000' },
        'outage-runs': { type: 'string', default: '20' },
        config: { type: 'string' },
        'redis-url': { type: 'string', default: 'redis://127.0.0.1:6379' },
        only: { type: 'string' },
        'mysql-url': { type: 'string', default: 'mysql://root@127.0.0.1:3306/voipbin_bench' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    if (!error.code?.startsWith('ERR_PARSE_ARGS_')) throw error;
    console.error(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
}

const opts = parseSwitches();
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const load = {
  rounds: Number(opts.rounds),
  duration: Number(opts.duration),
  connections: Number(opts.connections),
};

const REFERENCES = [
  ['fastify', 'reference: Fastify alone'],
  ['nest', 'reference: NestJS on Fastify, no auth'],
  ['nest-guard', 'reference: NestJS + a plain guard, key in a Map'],
  ['nest-custom', 'reference: NestJS + passport-custom, key in a Map'],
  ['nest-custom-ops', 'reference: the same + request id, headers, log line, histogram'],
  ['nest-custom-ops-async', 'reference: the same, the log line through pino async (buffered)'],
  ['nest-custom-ops-worker', 'reference: the same, the log line through a worker transport'],
  ['nest-custom-ops-errors', 'reference: the same, no log line for 2xx (LOG_REQUESTS=errors)'],
  ['nest-jwt', 'reference: NestJS + passport-jwt, KeyObject'],
];
/** With --db mysql: the floor a database lookup per request sets, on the service's own database. */
const DATABASE_REFERENCES = [
  ['http-mysql', 'reference: bare node:http + the key lookup (one mysql2 prepared statement)'],
  ['fastify-mysql', 'reference: Fastify alone + the same statement'],
];

/**
 * The reference servers' scenarios, with the credential each one checks. With `databaseUrl` (MySQL)
 * also those that look the service's `serviceKey` up in its database on every request.
 */
async function referenceScenarios(jwtToken, databaseUrl, serviceKey) {
  const mapKey = `vb_${randomBytes(24).toString('base64url')}`;
  const scenarios = [];
  const kinds = [...REFERENCES, ...(databaseUrl ? DATABASE_REFERENCES : [])];
  for (const [kind, name] of kinds) {
    const accessKey = kind.endsWith('-mysql') ? serviceKey : mapKey;
    const url = await startReference(kind, accessKey, databaseUrl);
    const headers = { authorization: `Bearer ${kind === 'nest-jwt' ? jwtToken : accessKey}` };
    scenarios.push({ name, run: () => run(url, load, { headers }) });
  }
  return scenarios;
}

/** Authenticated calls alone, then while 16 clients log in without pause. */
function underLogins(url, headers) {
  return async () => {
    const logins = run(`${url.origin}/auth/login`, load, {
      connections: 16,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
      duration: load.duration + 1,
    });
    await new Promise((r) => setTimeout(r, 500));
    const sample = await run(url.href, load, { headers });
    const loginResult = await logins;
    return { ...sample, extra: loginResult.rps };
  };
}

async function mainScenarios() {
  const baseline = await startBaseline();
  const configs = {
    shipped: { AUTH_CACHE_TTL: '' },
    redis: { AUTH_CACHE_TTL: '', REDIS_URL: opts['redis-url'] },
  };
  const env = opts.config === undefined ? {} : configs[opts.config];
  if (env === undefined) throw new Error(`--config: shipped or redis, not ${opts.config}`);
  const databaseUrl = await prepareDatabase(opts.db, opts['mysql-url'], '');
  const { base, child } = await startService(databaseUrl, env);
  const { jwtToken, accessKey } = await seedAdmin(base);
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
    {
      name: 'POST /v1.0/accesskeys (a key each), JWT',
      path: '/v1.0/accesskeys',
      method: 'POST',
      body: '{}',
      headers: { authorization: `Bearer ${jwtToken}`, 'content-type': 'application/json' },
    },
    {
      name: 'POST /auth/login',
      path: '/auth/login',
      method: 'POST',
      body: JSON.stringify(ADMIN),
      headers: { 'content-type': 'application/json' },
    },
  ].map((s) => ({
    name: s.name,
    run: () =>
      run(`${base}${s.path ?? '/v1.0/customer'}${s.query ?? ''}`, load, {
        headers: s.headers,
        ...(s.method && { method: s.method, body: s.body }),
      }),
  }));
  if (opts.references) {
    const mysqlUrl = opts.db === 'mysql' ? databaseUrl : undefined;
    scenarios.unshift(...(await referenceScenarios(jwtToken, mysqlUrl, accessKey)));
  }
  const only = opts.only ? new RegExp(opts.only, 'i') : null;
  table(
    `Throughput, ${opts.db}, ${load.connections} connections, ${load.rounds} rounds of ${load.duration} s (medians)`,
    await measure(
      baseline,
      scenarios.filter((s) => !only || only.test(s.name)),
      load,
    ),
  );

  if (only && !only.test('login')) return;
  const headers = { authorization: `Bearer ${accessKey}` };
  const rows = await measure(
    baseline,
    [
      { name: 'access key, idle', run: () => run(me.href, load, { headers }) },
      { name: 'access key, 16 clients logging in', run: underLogins(me, headers) },
    ],
    load,
  );
  table(`Authenticated calls while 16 clients log in, ${opts.db}`, rows, 'logins/s');
  console.log(`p99 under logins / idle p99: ${(rows[2].p99 / rows[1].p99).toFixed(2)}\n`);

  if (opts.soak) await soak(base, child);
}

/** A million requests over many distinct credentials: every cache must stay bounded. */
async function soak(base, child) {
  const me = await call(base, 'GET', '/v1.0/customer', { token: await login(base) });
  const tokens = signJwts(me.id, 50_000);
  const before = rssMiB(child.pid);
  const result = await runOverTokens(`${base}/v1.0/customer`, tokens, load.connections, 1_000_000);
  const after = rssMiB(child.pid);
  console.log(
    `### Soak\n\n${result.requests.total} requests over ${tokens.length} distinct JWTs: ` +
      `${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms, ` +
      `${result.non2xx + result.errors} failed; RSS ${before} MiB before, ${after} MiB after.\n`,
  );
}

/** Growth: the same lookups with 1,000 and with 1,000,000 keys in the table. */
async function growth() {
  if (opts.db !== 'mysql') throw new Error('--growth runs on --db mysql');
  const baseline = await startBaseline();
  const url = await prepareDatabase(opts.db, opts['mysql-url'], 'growth');
  // Caches off: each request pays the database lookup this measures.
  const { base, child } = await startService(url, { AUTH_CACHE_TTL: '0' });
  const { accessKey, jwtToken } = await seedAdmin(base);
  const db = await mysql.createConnection({ uri: url, timezone: 'Z' });
  const { adminId, bulkId } = await growthCustomers(db);
  const withKey = { headers: { authorization: `Bearer ${accessKey}` } };
  const withJwt = { headers: { authorization: `Bearer ${jwtToken}` } };
  const scenarios = (deepPageToken) => [
    {
      name: 'access key auth (uncached), GET /v1.0/customer',
      run: () => run(`${base}/v1.0/customer`, load, withKey),
    },
    { name: 'GET /v1.0/accesskeys page 1', run: () => run(`${base}/v1.0/accesskeys`, load, withJwt) },
    ...(deepPageToken
      ? [
          {
            name: 'GET /v1.0/accesskeys page 1000',
            run: () => run(`${base}/v1.0/accesskeys?page_token=${deepPageToken}`, load, withJwt),
          },
        ]
      : []),
  ];

  await fillKeys(db, bulkId, 900);
  table('Growth: 1,000 keys in the table (caches off)', await measure(baseline, scenarios(null), load));
  console.error('inserting a million keys...');
  await fillKeys(db, adminId, 100_000 - 100);
  await fillKeys(db, bulkId, 1_000_000 - 100_000 - 900);
  await db.query('ANALYZE TABLE access_keys');
  const [[{ n }]] = await db.query('SELECT COUNT(*) AS n FROM access_keys');
  const deep = await pageToken(base, jwtToken, 1000);
  console.log(`Plan of the key lookup: ${await keyLookupPlan(db)}\n`);
  table(`Growth: ${n} keys in the table (caches off)`, await measure(baseline, scenarios(deep), load));
  await db.end();
  console.log(`RSS of the service: ${rssMiB(child.pid)} MiB\n`);
}

/** A port on loopback that refuses connections: taken, then let go. */
async function refusingPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Webhooks off the request path: the same calls by a customer with no webhook, by one whose receiver
 * refuses connections (each delivery fails at once and is retried) and by one whose receiver accepts
 * them and never answers (each delivery waits out its timeout), alternating in each round.
 */
async function webhooks() {
  const baseline = await startBaseline();
  const slow = createServer(() => undefined);
  await new Promise((resolve) => slow.listen(0, '127.0.0.1', resolve));
  const receivers = {
    'dead receiver (connection refused)': `http://127.0.0.1:${await refusingPort()}/hook`,
    'slow receiver (never answers)': `http://127.0.0.1:${slow.address().port}/hook`,
  };
  const url = await prepareDatabase(opts.db, opts['mysql-url'], 'webhooks');
  const { base } = await startService(url, { WEBHOOK_ALLOW_PRIVATE: 'true' });
  const plain = await login(base);
  const customers = [{ who: 'no webhook', token: plain }];
  for (const [who, uri] of Object.entries(receivers)) {
    const hooked = { username: `bench-${customers.length}`, password: randomBytes(15).toString('base64url') };
    await call(base, 'POST', '/v1.0/customers', { token: plain, body: hooked });
    const { token } = await call(base, 'POST', '/auth/login', { body: hooked });
    await call(base, 'PUT', '/v1.0/customer', { token, body: { webhook_uri: uri, webhook_method: 'POST' } });
    await call(base, 'POST', '/v1.0/customer/webhook-secret', { token });
    customers.push({ who, token });
  }
  const gets = customers.map(({ who, token }) => ({
    name: `GET /v1.0/customer, JWT, ${who}`,
    run: () => run(`${base}/v1.0/customer`, load, { headers: { authorization: `Bearer ${token}` } }),
  }));
  const posts = customers.map(({ who, token }) => ({
    name: `POST /v1.0/accesskeys (an event each), JWT, ${who}`,
    run: () =>
      run(`${base}/v1.0/accesskeys`, load, {
        method: 'POST',
        body: '{}',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      }),
  }));
  const rows = await measure(baseline, [...gets, ...posts], load);
  const of = `${opts.db}, ${load.connections} connections, ${load.rounds} rounds of ${load.duration} s`;
  table(`Webhooks: no receiver, a dead one, a slow one, ${of} (medians)`, rows);
  sideBySide(
    'Authenticated reads beside the customer with no webhook (medians of per-round ratios)',
    rows[1],
    [rows[2], rows[3]],
  );
  sideBySide('Writes (an event each) beside the customer with no webhook', rows[4], [rows[5], rows[6]]);
  for (const { who, token } of customers.slice(1)) {
    const pending = await call(base, 'GET', '/v1.0/webhook-deliveries?status=pending&page_size=100', {
      token,
    });
    console.log(`Deliveries still pending for the ${who} (first page): ${pending.result.length}`);
  }
  console.log('');
  slow.close();
}

try {
  if (!opts['no-build']) build();
  console.log(
    `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}, database ${opts.scale ? 'mysql' : opts.db}, ` +
      `${load.connections} connections\n`,
  );
  if (opts.growth) await growth();
  else if (opts.scale)
    await scale({
      mysqlUrl: opts['mysql-url'],
      redisUrl: opts['redis-url'],
      load,
      revocations: Number(opts.revocations),
      outageRuns: Number(opts['outage-runs']),
    });
  else if (opts.webhooks) await webhooks();
  else await mainScenarios();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await shutDown();
}
