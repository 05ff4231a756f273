import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsUUID, Matches } from 'class-validator';
import { IsOptionalNotNull } from '../../common/optional.decorator.js';
import { PageQueryDto } from '../../common/page.dto.js';
import { AUDIT_ACTIONS } from '../audit-event.js';

/** What an event is about: a key, a customer or a session, by id. */
const TARGET = /^(accesskey|customer|session):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whose chain: the caller's own customer unless a super admin names another. */
export class AuditChainQueryDto extends PageQueryDto {
  /** Another customer's log (super admins, with `customers:read`); the caller's own by default. */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptionalNotNull()
  @IsUUID()
  customer_id?: string;
}

export class AuditQueryDto extends AuditChainQueryDto {
  /** Only events of this action. */
  @ApiPropertyOptional({ enum: AUDIT_ACTIONS, example: 'accesskey.created' })
  @IsOptionalNotNull()
  @IsIn(AUDIT_ACTIONS)
  action?: string;

  /** Only events by this customer, or by this access key (an id). */
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptionalNotNull()
  @IsUUID()
  actor?: string;

  /** Only events on this target: `accesskey:<id>`, `customer:<id>` or `session:<id>`. */
  @ApiPropertyOptional({ example: 'accesskey:2f1f8f7e-9b3d-4c60-8465-b69e9f28b6dc' })
  @IsOptionalNotNull()
  @Matches(TARGET, { message: 'target must be accesskey:<id>, customer:<id> or session:<id>' })
  target?: string;

  /** Only events at or after this time (ISO 8601). */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptionalNotNull()
  @IsISO8601({ strict: true })
  since?: string;

  /** Only events before this time (ISO 8601). */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptionalNotNull()
  @IsISO8601({ strict: true })
  until?: string;
}
