import { describe, expect, it } from '@jest/globals';
import { BadRequestException, HttpException, NotFoundException, type LoggerService } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { ApiError } from './api-error.js';
import { sendError, type ErrorEnvelope } from './error-envelope.js';

function render(exception: unknown) {
  const sent: { status?: number; headers: Record<string, string>; body?: ErrorEnvelope } = { headers: {} };
  const reply = {
    status(code: number) {
      sent.status = code;
      return reply;
    },
    header(name: string, value: string) {
      sent.headers[name] = value;
      return reply;
    },
    type(value: string) {
      sent.headers['content-type'] = value;
      return reply;
    },
    send(body: ErrorEnvelope) {
      sent.body = body;
      return reply;
    },
  } as unknown as FastifyReply;
  const logged: string[] = [];
  const logger = {
    error: (...parts: unknown[]) => logged.push(parts.join(' ')),
    warn: (...parts: unknown[]) => logged.push(parts.join(' ')),
  } as unknown as LoggerService;
  const req = {
    id: 'req_1',
    method: 'GET',
    url: '/v1.0/x?token=secret',
    routeOptions: { url: '/v1.0/x' },
  } as unknown as FastifyRequest;
  sendError(reply, req, exception, logger);
  return { ...sent, logged };
}

function driverError(code: string): QueryFailedError {
  return new QueryFailedError('SELECT 1', [], Object.assign(new Error(`driver says ${code}`), { code }));
}

describe('sendError', () => {
  it('renders an ApiError as the envelope, with WWW-Authenticate on a 401', () => {
    const { status, headers, body } = render(ApiError.invalidCredentials());
    expect(status).toBe(401);
    expect(headers['www-authenticate']).toBe('Bearer');
    expect(body).toEqual({
      error: {
        status: 'UNAUTHENTICATED',
        reason: 'INVALID_CREDENTIALS',
        message: 'The provided credentials are invalid.',
        request_id: 'req_1',
        details: [],
      },
    });
  });

  it('hides an unexpected error behind a 500 and logs its stack with the route template only', () => {
    const error = new Error('secret detail: password=hunter2');
    const { status, body, logged } = render(error);
    expect(status).toBe(500);
    expect(body!.error).toMatchObject({ status: 'INTERNAL', reason: 'INTERNAL' });
    expect(JSON.stringify(body)).not.toContain('hunter2');
    expect(logged.join('\n')).toContain(error.stack!.split('\n')[1]);
    expect(logged.join('\n')).toContain('GET /v1.0/x');
    expect(logged.join('\n')).not.toContain('token=secret');
  });

  it('answers 503 DATABASE_UNAVAILABLE for a lost or refused database connection', () => {
    for (const code of ['ECONNREFUSED', 'PROTOCOL_CONNECTION_LOST', 'ETIMEDOUT', 'SQLITE_BUSY']) {
      const { status, headers, body } = render(driverError(code));
      expect(status).toBe(503);
      expect(headers['retry-after']).toBeDefined();
      expect(body!.error).toMatchObject({ status: 'UNAVAILABLE', reason: 'DATABASE_UNAVAILABLE' });
      expect(JSON.stringify(body)).not.toContain('SELECT');
    }
  });

  it('keeps any other database error a 500 without SQL in the body', () => {
    const { status, body } = render(driverError('ER_PARSE_ERROR'));
    expect(status).toBe(500);
    expect(JSON.stringify(body)).not.toContain('SELECT');
  });

  it("maps Nest's and Fastify's own errors to the envelope", () => {
    expect(render(new NotFoundException('Cannot GET /x?token=secret')).body!.error).toMatchObject({
      status: 'NOT_FOUND',
      reason: 'ROUTE_NOT_FOUND',
      message: 'No route matches this method and path.',
    });
    const tooLarge = new HttpException('Request body is too large', 413, {
      cause: Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }),
    });
    expect(render(tooLarge)).toMatchObject({ status: 413, body: { error: { reason: 'PAYLOAD_TOO_LARGE' } } });
    expect(render(new BadRequestException()).body!.error.status).toBe('INVALID_ARGUMENT');
  });
});
