import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const SAFE_REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A request id of the service's own. */
export function newRequestId(): string {
  // randomUUID draws from a buffered pool of entropy: a fresh randomBytes call costs a syscall each.
  return `req_${randomUUID().replaceAll('-', '')}`;
}

/**
 * Fastify's `genReqId`: echo a client's own request id when it is safe to put in a header and a
 * log line, otherwise make one.
 */
export function requestIdFor(req: IncomingMessage): string {
  const offered = req.headers['x-request-id'];
  if (typeof offered === 'string' && SAFE_REQUEST_ID.test(offered)) return offered;
  return newRequestId();
}
