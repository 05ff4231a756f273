import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * helmet's defaults, with two changes. No Referer at all. And no `upgrade-insecure-requests`:
 * served over plain HTTP on any host but localhost, that directive makes the browser fetch the
 * admin page's and Swagger UI's own scripts over HTTPS, which fails. Both pages load only
 * same-origin, relative URLs, so the directive protects nothing here.
 */
export const HELMET_OPTIONS: HelmetOptions = {
  referrerPolicy: { policy: 'no-referrer' },
  contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
};

/**
 * The headers helmet sets with these options. They depend on nothing in the request (no CSP
 * nonces here), so helmet runs once, against a response that only records what it is told.
 */
export function securityHeaders(options: HelmetOptions = HELMET_OPTIONS): Record<string, string> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return headers;
}

/**
 * helmet's headers on every answer, errors and 404s included. Not @fastify/helmet: it builds a
 * new helmet middleware, options parsed and CSP directives validated, for every request, which
 * measured at about 100 µs of CPU per request here, two thirds of what the whole framework costs
 * (docs/performance.md; helmetjs/helmet#430 asks for the same precomputation).
 */
export function addSecurityHeaders(fastify: FastifyInstance, options?: HelmetOptions): void {
  const headers = securityHeaders(options);
  fastify.addHook('onRequest', (_req, reply, done) => {
    void reply.headers(headers);
    done();
  });
}
