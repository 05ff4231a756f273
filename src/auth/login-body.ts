import type { FastifyInstance, FastifyRequest } from 'fastify';

const LOGIN = '/auth/login';

/** Login requests whose body came under another Content-Type than JSON. */
const retyped = new WeakSet<FastifyRequest>();

const isJson = (contentType: string | undefined) =>
  contentType?.split(';')[0]!.trim().toLowerCase() === 'application/json';

/**
 * VoIPBIN reads the body of POST /auth/login as JSON whatever its Content-Type, and browser clients
 * rely on it (a `fetch` whose headers option is misspelt sends `text/plain`): so does this route,
 * and only this one. Every other route keeps answering 415 to a body that is not sent as JSON, which
 * is what keeps an HTML form on another site, which cannot send JSON, from writing to them.
 * Registered before configureApp's other hooks, so that a content-type check registered after it
 * sees JSON here.
 */
export function readLoginBodyAsJson(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (req, _reply, done) => {
    if (req.method === 'POST' && req.routeOptions.url === LOGIN && !isJson(req.headers['content-type'])) {
      retyped.add(req);
      req.headers['content-type'] = 'application/json';
    }
    done();
  });
}

/**
 * Whether this login's body came as something else than JSON, which an HTML form on any site can
 * send: such a login gets its token in the body only, never as a cookie, so that a page elsewhere
 * cannot log a browser in to an account of its choosing.
 */
export const sentAsOtherType = (req: FastifyRequest): boolean => retyped.has(req);
