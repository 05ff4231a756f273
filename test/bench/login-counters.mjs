#!/usr/bin/env node
// Memory of the login counters under a flood, in one process (no HTTP, no argon2: what is measured is
// what the counters keep): 100,000 failed logins with distinct usernames from one address, then
// 100,000 from distinct addresses (a username each). Not a test: it prints numbers. Run after
// `npm run build`:  node --expose-gc test/bench/login-counters.mjs
// Results in docs/performance.md.
import { LoginThrottle } from '../../dist/auth/login-throttle.js';
import { ApiError } from '../../dist/common/api-error.js';

const FLOOD = 100_000;

if (typeof globalThis.gc !== 'function') {
  console.error('usage: node --expose-gc test/bench/login-counters.mjs');
  process.exit(2);
}

/** RSS and heap in MiB, after a full collection. */
function memory() {
  globalThis.gc();
  globalThis.gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss: rss / 2 ** 20, heap: heapUsed / 2 ** 20 };
}

// The production defaults, counters in this process's memory (no REDIS_URL).
const throttle = new LoginThrottle(
  { loginLimits: { perUsernameIp: 5, perIp: 30, perUsername: 20 } },
  { client: null, keyPrefix: '' },
);
const wrongPassword = () => Promise.reject(ApiError.invalidCredentials());

/** `count` failed logins; the statuses they got. */
async function flood(count, attempt) {
  const statuses = {};
  for (let i = 0; i < count; i++) {
    const [username, ip] = attempt(i);
    const status = await throttle.attempt(username, ip, wrongPassword).catch((error) => error.getStatus());
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  return statuses;
}

const rows = [['after', 'RSS MiB', 'heap MiB', 'answers']];
const row = (label, statuses = {}) => {
  const { rss, heap } = memory();
  rows.push([label, rss.toFixed(1), heap.toFixed(1), JSON.stringify(statuses)]);
};
row('start');
row(`${FLOOD} usernames from one address`, await flood(FLOOD, (i) => [`user-${i}`, '203.0.113.1']));
row(
  `${FLOOD} addresses`,
  await flood(FLOOD, (i) => [`spray-${i}`, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`]),
);
for (const cells of rows)
  console.log(cells.map((cell, i) => (i === 0 ? cell.padEnd(36) : cell.padStart(10))).join(' '));
