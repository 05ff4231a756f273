// The consistency model in numbers (docs/scaling.md): how fast a revocation reaches another
// instance, what a Redis outage costs, and the CPU a request and a login take, for the sizing rule.
// Every instance runs on MariaDB; Redis is the given one for the propagation and the sizing, and a
// redis-server of the run's own for the outage (the only one it stops).
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { run } from './measure.mjs';
import { ADMIN, prepareDatabase, startRedis, startService, stop } from './processes.mjs';
import { call, login } from './seed.mjs';

const METRICS_TOKEN = randomBytes(24).toString('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Two instances on one database and one Redis, under a key prefix of this run's own. */
async function twoInstances(databaseUrl, redisUrl, prefix) {
  const env = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, METRICS_TOKEN };
  const a = await startService(databaseUrl, env);
  const b = await startService(databaseUrl, env);
  return { a, b, jwt: await login(a.base) };
}

/** The status of a call of `/v1.0/customer` with `token`. */
async function statusOf(base, token) {
  const res = await fetch(`${base}/v1.0/customer`, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

/** A new key through `a`, used once on `b` (which then holds it in its cache). */
async function keyUsedOn(a, b, jwt) {
  const key = await call(a.base, 'POST', '/v1.0/accesskeys', { token: jwt, body: { name: 'scale' } });
  const status = await statusOf(b.base, key.token);
  if (status !== 200) throw new Error(`a new key answered ${status} on the other instance`);
  return { key, usedAt: performance.now() };
}

/**
 * Deletes the key through `a`, then calls `b` with it, one request after another, until refused.
 * Times (ms, performance.now()) of the DELETE sent and answered, of `b`'s first 401 received, and
 * how many of `b`'s requests sent after the DELETE was answered were still accepted.
 */
async function revokeAndPoll(a, b, jwt, key) {
  const sent = performance.now();
  const res = await fetch(`${a.base}/v1.0/accesskeys/${key.id}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${jwt}` },
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`DELETE answered ${res.status}`);
  const answered = performance.now();
  let accepted = 0;
  for (;;) {
    const status = await statusOf(b.base, key.token);
    if (status === 401) return { sent, answered, refused: performance.now(), accepted };
    if (status !== 200) throw new Error(`a key being revoked answered ${status}`);
    accepted++;
  }
}

/** Percentiles of a list of numbers, nearest rank. */
function percentiles(xs) {
  const sorted = [...xs].sort((x, y) => x - y);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  return { p50: at(50), p99: at(99), max: sorted.at(-1), min: sorted[0] };
}

const ms = (x) => x.toFixed(1);
function row(name, xs) {
  const { p50, p99, max } = percentiles(xs);
  return `| ${name} | ${ms(p50)} | ${ms(p99)} | ${ms(max)} |`;
}

/** (1) Revocation propagation: `count` keys, each cached on B, deleted on A, polled on B. */
async function propagation({ a, b, jwt }, redisUrl, prefix, count) {
  // The revocation as Redis carries it, seen by a subscriber of the bench's own.
  const subscriber = new Redis(redisUrl);
  const heard = new Map();
  subscriber.on('message', (_channel, message) => heard.set(message, performance.now()));
  await subscriber.subscribe(`${prefix}revocations`);
  const runs = [];
  for (let i = 0; i < count; i++) {
    const { key } = await keyUsedOn(a, b, jwt);
    const timing = await revokeAndPoll(a, b, jwt, key);
    runs.push({ ...timing, published: heard.get(`key:${key.id}`) });
    if (i % 200 === 199) console.error(`revocations: ${i + 1} of ${count}`);
  }
  await subscriber.quit();
  const late = runs.filter((r) => r.accepted > 0);
  // Whether Redis carried the revocation only after A answered (the publish waits at most 100 ms).
  const publishedLate = late.filter((r) => r.published === undefined || r.published > r.answered).length;
  const lateWindows = late.map((r) => ms(r.refused - r.answered)).join(', ');
  const published = runs.filter((r) => r.published !== undefined);
  console.log(
    [
      `### Revocation across instances: ${count} keys, each cached on B, deleted through A, B polled`,
      '',
      '| from → to (ms) | p50 | p99 | max |',
      '|---|---:|---:|---:|',
      row(
        "A's DELETE sent → the revocation on the Redis channel (a subscriber of the bench's)",
        published.map((r) => r.published - r.sent),
      ),
      row(
        "A's DELETE sent → A's answer",
        runs.map((r) => r.answered - r.sent),
      ),
      row(
        "A's answer → B's first 401 received (includes that request's own time)",
        runs.map((r) => r.refused - r.answered),
      ),
      row(
        "A's DELETE sent → B's first 401 received",
        runs.map((r) => r.refused - r.sent),
      ),
      '',
      `Requests to B sent after A's answer and still accepted: ${runs.reduce((n, r) => n + r.accepted, 0)} ` +
        `(in ${late.length} of ${count} runs${late.length ? `; B refused ${lateWindows} ms after A's answer in those` : ''}; ` +
        `in ${publishedLate} of them the bench's subscriber heard the revocation only after A's answer); ` +
        `revocations heard on the channel: ${published.length} of ${count}.`,
      '',
    ].join('\n'),
  );
}

/** redis_up and redis_revocations_subscribed of an instance, from /metrics. */
async function redisState(base) {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const text = await res.text();
  const value = (name) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1]);
  return { up: value('redis_up'), subscribed: value('redis_revocations_subscribed') };
}

/** Until both instances report `subscribed` (1 or 0); ms it took. */
async function untilSubscribed(instances, subscribed) {
  const start = performance.now();
  for (;;) {
    const states = await Promise.all(instances.map((i) => redisState(i.base)));
    if (states.every((s) => s.subscribed === subscribed && s.up === subscribed)) {
      return performance.now() - start;
    }
    if (performance.now() - start > 30_000) throw new Error(`Redis state stuck: ${JSON.stringify(states)}`);
    await sleep(10);
  }
}

/**
 * The window of an outage: a key used on B (so cached, its entry living 1 s while B is not
 * subscribed), deleted through A at once, then B polled until it refuses. `runs` times.
 */
async function outageWindow({ a, b, jwt }, runs) {
  const windows = [];
  const ages = [];
  for (let i = 0; i < runs; i++) {
    const { key, usedAt } = await keyUsedOn(a, b, jwt);
    const timing = await revokeAndPoll(a, b, jwt, key);
    windows.push(timing.refused - timing.answered);
    ages.push(timing.refused - usedAt);
  }
  return { windows, ages };
}

/** (2) What a Redis outage costs: stopped (its connections closed) and paused (a black hole). */
async function outage(databaseUrl, runs) {
  const redis = await startRedis();
  const prefix = `bench${process.pid}:`;
  const pair = await twoInstances(databaseUrl, redis.url, prefix);
  const instances = [pair.a, pair.b];
  await untilSubscribed(instances, 1);
  const lines = [
    `### A Redis outage: ${runs} keys each, cached on B, deleted through A while Redis is away`,
    '',
    '| outage | from → to (ms) | p50 | p99 | max |',
    '|---|---|---:|---:|---:|',
  ];
  const recoveries = [];
  let current = redis;
  for (const kind of ['stopped', 'paused']) {
    if (kind === 'stopped') await stop(current.child, 'SIGKILL');
    else current.child.kill('SIGSTOP');
    const noticed = await untilSubscribed(instances, 0);
    const { windows, ages } = await outageWindow(pair, runs);
    lines.push(
      `| ${kind} ${row("A's answer → B's first 401 (the window)", windows)}`,
      `| ${kind} ${row("B's use that cached the key → B's first 401", ages)}`,
    );
    const back = performance.now();
    if (kind === 'stopped') current = await startRedis(current.port);
    else current.child.kill('SIGCONT');
    const listening = performance.now() - back;
    const recovered = await untilSubscribed(instances, 1);
    // Once subscribed again, a revocation reaches B at once again.
    const { key } = await keyUsedOn(pair.a, pair.b, pair.jwt);
    const after = await revokeAndPoll(pair.a, pair.b, pair.jwt, key);
    recoveries.push(
      `${kind}: noticed by both instances ${ms(noticed)} ms after the outage began; after Redis was back ` +
        `(${kind === 'stopped' ? `listening ${ms(listening)} ms after the restart` : 'SIGCONT'}), both ` +
        `subscribed again within ${ms(recovered)} ms; the next revocation was refused on B ` +
        `${ms(after.refused - after.answered)} ms after A's answer, ${after.accepted} requests accepted`,
    );
  }
  console.log([...lines, '', ...recoveries.map((r) => `- ${r}`), ''].join('\n'));
  await Promise.all([stop(pair.a.child), stop(pair.b.child), stop(current.child)]);
}

/**
 * (3) The sizing rule: requests (and logins) per second of the server's CPU, on one instance:
 * requests divided by the CPU seconds the server process spent on them (/proc/<pid>/stat).
 */
async function sizing({ a, jwt }, load) {
  const { token: accessKey } = await call(a.base, 'POST', '/v1.0/accesskeys', { token: jwt, body: {} });
  const me = `${a.base}/v1.0/customer`;
  const scenarios = [
    {
      name: 'GET /v1.0/customer, access key (Bearer)',
      url: me,
      options: { headers: { authorization: `Bearer ${accessKey}` } },
    },
    {
      name: 'GET /v1.0/customer, JWT (Bearer)',
      url: me,
      options: { headers: { authorization: `Bearer ${jwt}` } },
    },
    { name: 'GET /v1.0/customer?token=JWT', url: `${me}?token=${jwt}`, options: {} },
    {
      name: 'POST /auth/login (argon2id), 16 connections',
      url: `${a.base}/auth/login`,
      options: {
        connections: 16,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(ADMIN),
      },
    },
  ];
  const lines = [
    `### Sizing: one instance, MariaDB and Redis, ${load.rounds} rounds of ${load.duration} s after a warm-up (medians)`,
    '',
    '| scenario | req/s (wall) | server CPU µs/req | req per CPU-second (per core) |',
    '|---|---:|---:|---:|',
  ];
  for (const { name, url, options } of scenarios) {
    await run(url, load, options);
    const samples = [];
    for (let i = 0; i < load.rounds; i++) samples.push(await run(url, load, options));
    if (samples.some((s) => s.total === 0))
      throw new Error(`${name}: no request answered; try a longer --duration`);
    const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    const cpu = median(samples.map((s) => s.cpuPerRequest));
    const rps = median(samples.map((s) => s.rps));
    lines.push(`| ${name} | ${Math.round(rps)} | ${Math.round(cpu * 1e6)} | ${Math.round(1 / cpu)} |`);
    console.error(`sizing ${name}: ${Math.round(rps)} req/s, ${Math.round(cpu * 1e6)} µs CPU each`);
  }
  console.log([...lines, ''].join('\n'));
}

/** --scale: the three measurements, in that order, on a MariaDB database of the run's own. */
export async function scale({ mysqlUrl, redisUrl, load, revocations, outageRuns }) {
  const databaseUrl = await prepareDatabase('mysql', mysqlUrl, 'scale');
  const prefix = `bench${process.pid}:`;
  const pair = await twoInstances(databaseUrl, redisUrl, prefix);
  await propagation(pair, redisUrl, prefix, revocations);
  await stop(pair.b.child);
  await sizing(pair, load);
  await stop(pair.a.child);
  await outage(databaseUrl, outageRuns);
}
