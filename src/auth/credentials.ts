import type { FastifyRequest } from 'fastify';
import { ACCESS_KEY_PREFIX } from '../accesskeys/access-key-token.js';

export interface Credential {
  kind: 'jwt' | 'accesskey';
  value: string;
  /** Where the request carried it: a cookie is what a browser adds by itself, even cross-site. */
  source: 'authorization' | 'query' | 'cookie';
}

const BEARER = /^Bearer[ ]+([^ ]+)[ ]*$/i;
const found = new WeakMap<object, Credential | null>();

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function find(req: FastifyRequest): Credential | null {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const value = BEARER.exec(authorization)?.[1] ?? '';
    return {
      kind: value.startsWith(ACCESS_KEY_PREFIX) ? 'accesskey' : 'jwt',
      value,
      source: 'authorization',
    };
  }
  const query = (req.query ?? {}) as Record<string, unknown>;
  if (query.token !== undefined) return { kind: 'jwt', value: text(query.token), source: 'query' };
  if (query.accesskey !== undefined)
    return { kind: 'accesskey', value: text(query.accesskey), source: 'query' };
  const cookie = req.cookies?.token;
  if (cookie !== undefined) return { kind: 'jwt', value: cookie, source: 'cookie' };
  return null;
}

/**
 * The caller's credential: the first source present, in docs/api.md's order (Bearer header, `?token=`,
 * `?accesskey=`, cookie). Only that one is tried: an invalid credential never falls back to a later
 * source. A present but malformed value (an `Authorization: Basic ...`, a repeated query
 * parameter) is kept as an empty value, which every strategy refuses.
 */
export function credentialOf(req: FastifyRequest): Credential | null {
  let credential = found.get(req);
  if (credential === undefined) {
    credential = find(req);
    found.set(req, credential);
  }
  return credential;
}
