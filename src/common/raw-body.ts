import type { FastifyRequest } from 'fastify';

/** The routes whose handlers need the body's bytes as sent (a signature over them), not only its JSON. */
const RAW_BODY_ROUTES = new Set(['/v1.0/secret-scanning/github']);

const raw = new WeakMap<FastifyRequest, Buffer>();

/** Kept by the JSON parser for RAW_BODY_ROUTES only, so no other request pays for it. */
export function keepRawBody(req: FastifyRequest, body: Buffer): void {
  if (RAW_BODY_ROUTES.has(req.routeOptions.url ?? '')) raw.set(req, body);
}

export function rawBodyOf(req: FastifyRequest): Buffer | undefined {
  return raw.get(req);
}
