import type { FastifyBodyParser, FastifyInstance } from 'fastify';
import { ApiError } from './api-error.js';
import { keepRawBody } from './raw-body.js';

/** No body the API takes is nested more than a few levels; deeper ones only cost (or crash) a walk. */
const MAX_JSON_DEPTH = 32;
/**
 * Keys no body field has, which validation cannot see: a plain object answers for them already
 * (`toString`, `constructor`, `__proto__`, ...), so class-validator takes them for known fields.
 */
const OBJECT_MEMBERS = new Set(Object.getOwnPropertyNames(Object.prototype));
/** A UTF-16 half without its other half: stored as U+FFFD, so never read back as sent. */
const LONE_SURROGATE = /\p{Cs}/u;

const unfit = (field: string, message: string) => ApiError.invalidArgument([{ field, message }]);

/** What makes a parsed body unfit to reach validation, or null. */
function faultOf(body: unknown): ApiError | null {
  if (body === null) {
    return new ApiError(400, 'INVALID_JSON_BODY', 'The request body must be a JSON object, not null.');
  }
  const stack: [unknown, number, string][] = [[body, 1, '']];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, depth, path] = next;
    if (typeof node === 'string' && LONE_SURROGATE.test(node)) {
      return unfit(path, `${path || 'body'} must be well-formed Unicode`);
    }
    if (node === null || typeof node !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) {
      return new ApiError(
        400,
        'INVALID_JSON_BODY',
        `The request body is nested deeper than ${MAX_JSON_DEPTH} levels.`,
      );
    }
    for (const [key, child] of Object.entries(node)) {
      const field = path ? `${path}.${key}` : key;
      if (OBJECT_MEMBERS.has(key)) return unfit(field, `property ${key} should not exist`);
      if (LONE_SURROGATE.test(key)) return unfit(path, 'field names must be well-formed Unicode');
      stack.push([child, depth + 1, field]);
    }
  }
  return null;
}

/**
 * Fastify's own JSON parser, its prototype-poisoning scan left to `faultOf`, which refuses what
 * validation would let through or crash on: a `null` body (Nest validates it as `{}`), keys named
 * after an object's own members, a lone surrogate, and nesting deeper than MAX_JSON_DEPTH
 * (class-transformer recurses, and a few kB of brackets overflow its stack).
 */
export function jsonBody(server: FastifyInstance): FastifyBodyParser<Buffer> {
  const parse = server.getDefaultJsonParser('ignore', 'ignore');
  return (req, body, done) => {
    keepRawBody(req, body);
    void parse(req, body.toString(), (error, parsed) => {
      if (error) return done(error, undefined);
      const fault = faultOf(parsed);
      if (fault) done(fault, undefined);
      else done(null, parsed);
    });
  };
}
