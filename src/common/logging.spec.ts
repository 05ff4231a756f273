import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { pino } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { RequestLog } from './logging.js';

const TOKEN = 'vb_secretsecretsecretsecret';

/** A RequestLog writing to memory, and the lines it wrote. */
function requestLog(logRequests: 'all' | 'errors') {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(chunk.toString());
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const log = new RequestLog(pino(sink), { logRequests } as AppConfig);
  const answer = (status: number) => {
    const req = {
      id: `req-${status}`,
      method: 'GET',
      url: `/v1.0/customer?accesskey=${TOKEN}`,
      routeOptions: { url: '/v1.0/customer' },
      headers: { authorization: `Bearer ${TOKEN}` },
    } as unknown as FastifyRequest;
    log.completed(req, { statusCode: status, elapsedTime: 1.2 } as FastifyReply);
  };
  const abort = () =>
    log.aborted({ id: 'req-aborted', method: 'GET', url: '/', routeOptions: {} } as FastifyRequest);
  return { lines, raw, answer, abort };
}

describe('RequestLog', () => {
  it('writes a line for every answer by default, with no credential', () => {
    const { lines, raw, answer, abort } = requestLog('all');
    for (const status of [200, 204, 304, 401, 404, 503]) answer(status);
    abort();
    expect(lines.map((l) => l.request_id)).toEqual([
      'req-200',
      'req-204',
      'req-304',
      'req-401',
      'req-404',
      'req-503',
      'req-aborted',
    ]);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      route: '/v1.0/customer',
      req: { method: 'GET', url: '/v1.0/customer?accesskey=%5BREDACTED%5D' },
      res: { status: 200 },
      duration_ms: 1,
    });
    expect(lines[5]).toMatchObject({ level: 50, res: { status: 503 } });
    expect(raw.join('')).not.toContain(TOKEN.slice(3));
    expect(raw.join('')).not.toMatch(/authorization/i);
  });

  it('with LOG_REQUESTS=errors writes the lines of 4xx and 5xx answers and aborts only', () => {
    const { lines, raw, answer, abort } = requestLog('errors');
    for (const status of [200, 201, 204, 302, 304, 400, 401, 403, 429, 500, 503]) answer(status);
    abort();
    expect(lines.map((l) => l.request_id)).toEqual([
      'req-400',
      'req-401',
      'req-403',
      'req-429',
      'req-500',
      'req-503',
      'req-aborted',
    ]);
    expect(lines[1]).toMatchObject({
      level: 30,
      req: { url: '/v1.0/customer?accesskey=%5BREDACTED%5D' },
      res: { status: 401 },
    });
    expect(lines[6]).toMatchObject({ level: 50, msg: 'request aborted', res: { status: null } });
    expect(raw.join('')).not.toContain(TOKEN.slice(3));
  });
});
