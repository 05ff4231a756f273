// Load, readings and tables: autocannon runs, the serving process's CPU time and memory from /proc,
// medians over rounds, and the markdown tables the bench prints.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { pidServing } from './processes.mjs';

/** User + system CPU seconds of a process so far, all its threads. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ)
}

/** Resident memory of a process, in MiB. */
export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024);
}

/**
 * One autocannon run against `url` with `load`'s connections and duration (`options` may override
 * them), and the CPU time the process serving it spent per request. Any failed request fails it.
 */
export function run(url, load, options = {}) {
  const pid = pidServing(url);
  const cpuBefore = cpuSeconds(pid);
  return new Promise((done, fail) => {
    autocannon(
      { url, connections: load.connections, duration: load.duration, ...options },
      (error, result) => {
        if (error) return fail(error);
        const bad = result.non2xx + result.errors + result.timeouts;
        if (bad > 0) {
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
      },
    );
  });
}

/** `amount` requests against `url`, each with the next of `tokens` as its Bearer credential. */
export function runOverTokens(url, tokens, connections, amount) {
  let i = 0;
  return new Promise((done, fail) =>
    autocannon(
      {
        url,
        connections,
        amount,
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
}

const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/**
 * Each scenario right after its own baseline run (A B A C A D ...), for `load.rounds` rounds, after
 * one unrecorded warm-up run of each (the JIT, the caches). A scenario's ratio is the median of its
 * ratios to the baseline run just before it, so load that comes and goes on the machine weighs on
 * both sides of each ratio alike. A scenario's `run` may add an `extra` number to its sample.
 */
export async function measure(baseline, scenarios, load) {
  const base = { name: 'bare node:http', run: () => run(baseline, load) };
  for (const scenario of [base, ...scenarios]) await scenario.run();
  const baselines = [];
  const samples = new Map(scenarios.map((s) => [s.name, []]));
  for (let round = 1; round <= load.rounds; round++) {
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
    rounds: xs,
  });
  return [summary(base.name, baselines), ...scenarios.map((s) => summary(s.name, samples.get(s.name)))];
}

/**
 * Each of `rows` beside `reference` (a row of the same `measure`): the medians over the rounds of
 * its p99, req/s and server CPU per request divided by the reference's of the same round.
 */
export function sideBySide(title, reference, rows) {
  const ratio = (row, of) => median(row.rounds.map((x, i) => of(x) / of(reference.rounds[i])));
  const lines = [
    `### ${title}`,
    '',
    `| scenario | p99 ms | p99 ratio | req/s | req/s ratio | server CPU µs/req | CPU/req ratio |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    ...[reference, ...rows].map(
      (r) =>
        `| ${r.name} | ${r.p99} | ${ratio(r, (x) => x.p99).toFixed(2)} | ${Math.round(r.rps)} | ` +
        `${ratio(r, (x) => x.rps).toFixed(2)} | ${Math.round(r.cpuUs)} | ` +
        `${ratio(r, (x) => x.cpuPerRequest).toFixed(2)} |`,
    ),
    '',
  ];
  console.log(lines.join('\n'));
}

/**
 * Requests per second and their ratio to node:http (the targets), and beside them the server's CPU
 * time per request and the same ratio by CPU time, which load from other processes moves less.
 */
export function table(title, rows, extraHeader) {
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

/** The plan MySQL picks for the service's key lookup. */
export async function keyLookupPlan(db) {
  const [plan] = await db.query(
    `EXPLAIN SELECT k.id FROM access_keys k INNER JOIN customers c ON c.id = k.customer_id
     WHERE (k.token_hash = ? OR k.previous_token_hash = ?) AND k.tm_delete IS NULL AND c.tm_delete IS NULL`,
    ['0'.repeat(64), '0'.repeat(64)],
  );
  return plan.map((p) => `${p.table} ${p.type} ${p.key} rows=${p.rows}`).join('; ');
}
