import { Controller, Delete, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuditContext } from '../audit/audit-event.js';
import { AuditedBy } from '../audit/origin.decorator.js';
import { ApiError } from '../common/api-error.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { Auth, CurrentPrincipal } from '../common/auth.decorators.js';
import { Clock } from '../common/clock.js';
import { PageQueryDto } from '../common/page.dto.js';
import { pageRequest } from '../common/pagination.js';
import type { Principal } from '../common/principal.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { EndedSessionsDto, SessionDto, SessionPageDto, toSessionDto } from './dto/session.dto.js';
import { SessionRepository, sessionsEnded } from './session.repository.js';
import { sessionNotFound } from './sessions.errors.js';

/** A person's own logins; for login JWTs only, as passwords are: a key has no say over them. */
@ApiTags('customer')
@Controller('v1.0/customer/sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly clock: Clock,
  ) {}

  @Get()
  @Auth('customer:read', { jwtOnly: true })
  @ApiOperation({ summary: "The caller's customer's sessions that work, newest first (JWT only)" })
  @ApiOkResponse({ type: SessionPageDto })
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: PageQueryDto,
  ): Promise<SessionPageDto> {
    const page = await this.sessions.list(
      principal.customerId,
      this.clock.now(),
      pageRequest(query.page_size, query.page_token),
    );
    return {
      result: page.rows.map((session) => toSessionDto(session, principal.sessionId)),
      next_page_token: page.nextPageToken,
    };
  }

  @Delete()
  @Auth('customer:write', { jwtOnly: true })
  @ApiOperation({ summary: "End every session of the caller's customer but the caller's own (JWT only)" })
  @ApiOkResponse({ type: EndedSessionsDto })
  async endOthers(
    @CurrentPrincipal() principal: Principal,
    @AuditedBy() by: AuditContext,
  ): Promise<EndedSessionsDto> {
    const { customerId } = principal;
    const event = sessionsEnded(customerId, null, by, 'others_ended');
    return {
      ended: await this.sessions.endAll(customerId, principal.sessionId ?? null, this.clock.now(), event),
    };
  }

  @Delete(':id')
  @Auth('customer:write', { jwtOnly: true })
  @ApiOperation({ summary: 'End one session: its JWT is refused from now on, on every instance (JWT only)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: SessionDto })
  @ApiErrors(ApiError.invalidId(), sessionNotFound())
  async end(
    @CurrentPrincipal() principal: Principal,
    @Param('id', UuidParamPipe) id: string,
    @AuditedBy() by: AuditContext,
  ): Promise<SessionDto> {
    const event = sessionsEnded(principal.customerId, id, by, 'ended');
    const ended = await this.sessions.end(principal.customerId, id, this.clock.now(), event);
    if (ended === null) throw sessionNotFound();
    return toSessionDto(ended, principal.sessionId);
  }
}
