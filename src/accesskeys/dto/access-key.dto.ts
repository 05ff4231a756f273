import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { NEXT_PAGE_TOKEN } from '../../common/page.dto.js';

/** An access key. `token` is present in the create and roll responses only. */
export class AccessKeyDto {
  @ApiProperty({ format: 'uuid', example: '2f1f8f7e-9b3d-4c60-8465-b69e9f28b6dc' })
  id: string;

  @ApiProperty({ format: 'uuid', example: 'a1d9b2cd-4578-4b23-91b6-5f5ec4a2f840' })
  customer_id: string;

  @ApiProperty({ example: 'reporting' })
  name: string;

  @ApiProperty({ example: 'nightly export' })
  detail: string;

  @ApiPropertyOptional({
    description: 'The secret: in the create response only. It cannot be shown again.',
    example: 'vb_a3Bf9xKmPq2nR7sT4wYzLp8mN5qR1xWe3kZ9Qa',
  })
  token?: string;

  @ApiProperty({ description: 'The first 11 characters of the token.', example: 'vb_a3Bf9xKm' })
  token_prefix: string;

  @ApiProperty({ format: 'date-time', example: '2027-12-01T10:15:30.123Z' })
  tm_expire: string;

  @ApiProperty({ format: 'date-time', example: '2026-12-01T10:15:30.123Z' })
  tm_create: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: null })
  tm_update: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: null })
  tm_delete: string | null;

  @ApiProperty({
    description: 'When the key last authenticated a request.',
    format: 'date-time',
    nullable: true,
    type: String,
    example: null,
  })
  tm_last_used: string | null;

  @ApiProperty({
    description:
      "What the key may do (within what its customer may do at each use); `*:write` is the customer's admin.",
    type: [String],
    example: ['*:write'],
  })
  scopes: string[];

  @ApiProperty({
    description: 'The networks the key may be used from; empty: anywhere.',
    type: [String],
    example: [],
  })
  allowed_cidrs: string[];

  @ApiProperty({
    description: 'A leak report under the quarantine policy left the key its read scopes only.',
    example: false,
  })
  quarantined: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Where the last leak report said the key was found.',
    example: null,
  })
  leak_url: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  tm_leaked: string | null;
}

export class AccessKeyPageDto {
  @ApiProperty({ type: [AccessKeyDto], description: 'Newest first.' })
  result: AccessKeyDto[];

  @ApiProperty(NEXT_PAGE_TOKEN)
  next_page_token: string;
}
