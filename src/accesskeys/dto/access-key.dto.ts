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

  @ApiProperty({
    description:
      "When the key was disabled for going unused longer than the key policy's `disable_unused_days` " +
      '(it authenticates nothing until `POST /v1.0/accesskeys/{id}/enable`); null: enabled.',
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
  })
  tm_disabled: string | null;
}

export class AccessKeyPageDto {
  @ApiProperty({ type: [AccessKeyDto], description: 'Newest first.' })
  result: AccessKeyDto[];

  @ApiProperty(NEXT_PAGE_TOKEN)
  next_page_token: string;
}

const nullableString = { type: ['string', 'null'] } as const;
const strings = { type: 'array', items: { type: 'string' } } as const;

/**
 * AccessKeyDto as a JSON schema for Fastify's response serialiser (fast-json-stringify): an answer
 * is written from it in one compiled pass rather than by JSON.stringify. Its keys are in the DTO's
 * order, which is the order the answer shows them in; `withToken` for the create answer.
 */
function accessKeySchema(withToken: boolean) {
  const properties = {
    id: { type: 'string' },
    customer_id: { type: 'string' },
    name: { type: 'string' },
    detail: { type: 'string' },
    ...(withToken && { token: { type: 'string' } }),
    token_prefix: { type: 'string' },
    tm_expire: { type: 'string' },
    tm_create: { type: 'string' },
    tm_update: nullableString,
    tm_delete: nullableString,
    tm_last_used: nullableString,
    scopes: strings,
    allowed_cidrs: strings,
    quarantined: { type: 'boolean' },
    leak_url: nullableString,
    tm_leaked: nullableString,
    tm_disabled: nullableString,
  };
  return { type: 'object', properties, required: Object.keys(properties) };
}

export const ACCESS_KEY_SCHEMA = accessKeySchema(false);
export const NEW_ACCESS_KEY_SCHEMA = accessKeySchema(true);

/** AccessKeyPageDto, likewise. */
export const ACCESS_KEY_PAGE_SCHEMA = {
  type: 'object',
  properties: { result: { type: 'array', items: ACCESS_KEY_SCHEMA }, next_page_token: { type: 'string' } },
  required: ['result', 'next_page_token'],
};
