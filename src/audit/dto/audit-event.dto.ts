import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { NEXT_PAGE_TOKEN } from '../../common/page.dto.js';

export class AuditActorDto {
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'null: nobody known.' })
  customer_id: string | null;

  @ApiProperty({ enum: ['jwt', 'accesskey', 'password', 'cli', 'system'] })
  via: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The access key, when `via` is `accesskey`.' })
  key_id?: string;

  @ApiPropertyOptional({ description: "The first 11 characters of the key's secret presented." })
  key_prefix?: string;
}

/** One event of a customer's audit log. */
export class AuditEventDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid', description: 'Whose chain the event is on.' })
  customer_id: string;

  @ApiProperty({ description: 'Its place in the chain: 1, 2, 3...' })
  sequence: number;

  @ApiProperty({ format: 'date-time' })
  tm_create: string;

  @ApiProperty({ type: AuditActorDto })
  actor: AuditActorDto;

  @ApiProperty({ example: 'accesskey.created' })
  action: string;

  @ApiProperty({ example: 'accesskey:2f1f8f7e-9b3d-4c60-8465-b69e9f28b6dc' })
  target: string;

  @ApiProperty({ example: '203.0.113.7' })
  client_ip: string;

  @ApiProperty()
  user_agent: string;

  @ApiProperty()
  request_id: string;

  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Small facts of the action.' })
  data: Record<string, unknown>;

  @ApiProperty({ description: 'SHA-256 (hex) of the previous hash and this event, canonical.' })
  hash: string;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEventDto] })
  result: AuditEventDto[];

  @ApiProperty(NEXT_PAGE_TOKEN)
  next_page_token: string;
}

export class AuditVerificationDto {
  @ApiProperty({ description: 'Whether every event of the chain matches its hash and the one before.' })
  valid: boolean;

  @ApiProperty({ description: 'How many events the chain holds.' })
  events: number;

  @ApiPropertyOptional({
    description: 'When not valid: the first sequence that does not match (or is missing).',
  })
  sequence?: number;

  @ApiPropertyOptional({
    description:
      'Events up to this sequence were pruned (AUDIT_RETENTION_DAYS): the signed checkpoint vouches for them.',
  })
  pruned_through?: number;
}
