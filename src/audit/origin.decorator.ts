import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../common/principal.js';
import { actorOf, type AuditContext, type Origin } from './audit-event.js';

function originOf(req: FastifyRequest): Origin {
  const agent = req.headers['user-agent'];
  return { ip: req.ip, userAgent: typeof agent === 'string' ? agent : '', requestId: String(req.id) };
}

/** Where the request came from: its client address (see TRUST_PROXY), User-Agent and request id. */
export const RequestOrigin = createParamDecorator((_data: unknown, ctx: ExecutionContext): Origin =>
  originOf(ctx.switchToHttp().getRequest<FastifyRequest>()),
);

/** The authenticated caller and where its request came from, as the audit log records them. */
export const AuditedBy = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuditContext => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest & { user: Principal }>();
  return { actor: actorOf(req.user), origin: originOf(req) };
});
