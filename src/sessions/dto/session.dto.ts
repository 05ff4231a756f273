import { ApiProperty } from '@nestjs/swagger';
import { NEXT_PAGE_TOKEN } from '../../common/page.dto.js';
import type { Session } from '../session.entity.js';

/** A login session of the caller's customer. */
export class SessionDto {
  @ApiProperty({
    format: 'uuid',
    description: 'The `sid` of its JWT.',
    example: '7c0e1f9a-2b1d-4a8e-9d3f-3e6b1b2a9c10',
  })
  id: string;

  @ApiProperty({ description: 'The client address it logged in from.', example: '203.0.113.7' })
  client_ip: string;

  @ApiProperty({
    description: 'The User-Agent it logged in with (255 characters at most).',
    example: 'Mozilla/5.0',
  })
  user_agent: string;

  @ApiProperty({ description: 'Whether the caller is this session.' })
  current: boolean;

  @ApiProperty({ format: 'date-time', example: '2026-12-01T10:15:30.123Z' })
  tm_create: string;

  @ApiProperty({
    format: 'date-time',
    description: 'When it was last used, to the minute.',
    example: '2026-12-01T11:02:00.000Z',
  })
  tm_last_seen: string;

  @ApiProperty({
    format: 'date-time',
    description: 'When its JWT expires.',
    example: '2026-12-08T10:15:30.123Z',
  })
  tm_expire: string;

  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'When it was ended; null while it works.',
    example: null,
  })
  tm_end: string | null;
}

export class SessionPageDto {
  @ApiProperty({ type: [SessionDto], description: 'The sessions that work, newest first.' })
  result: SessionDto[];

  @ApiProperty(NEXT_PAGE_TOKEN)
  next_page_token: string;
}

export class EndedSessionsDto {
  @ApiProperty({ description: 'How many sessions were ended.', example: 2 })
  ended: number;
}

export function toSessionDto(session: Session, currentId: string | undefined): SessionDto {
  return {
    id: session.id,
    client_ip: session.clientIp,
    user_agent: session.userAgent,
    current: session.id === currentId,
    tm_create: session.tmCreate.toISOString(),
    tm_last_seen: session.tmLastSeen.toISOString(),
    tm_expire: session.tmExpire.toISOString(),
    tm_end: session.tmEnd?.toISOString() ?? null,
  };
}
