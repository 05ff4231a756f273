import { ApiHideProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { Allow, IsInt, IsString, MaxLength, Min } from 'class-validator';
import { IsOptionalNotNull } from './optional.decorator.js';

export const MAX_PAGE_SIZE = 100;

/** The documentation of a page's `next_page_token`, the same for every list. */
export const NEXT_PAGE_TOKEN = {
  description:
    'Pass as `page_token` for the next page. Every page with results has one; `""` comes only with an ' +
    'empty `result`, after the last page (loop until `result` is empty).',
  example: 'WzE3OTU4OTc1MjIzNTcsImExZDliMmNkLTQ1NzgtNGIyMy05MWI2LTVmNWVjNGEyZjg0MCJd',
};

/**
 * Query parameters every protected route accepts: the credentials themselves, which the guard
 * reads. Listed so that strict validation does not refuse them; hidden from the docs, where the
 * security schemes describe them.
 */
class CredentialQueryDto {
  @ApiHideProperty()
  @Allow()
  token?: unknown;

  @ApiHideProperty()
  @Allow()
  accesskey?: unknown;
}

export class PageQueryDto extends CredentialQueryDto {
  /** Items per page, 1..100 (larger values are clamped to 100). */
  @ApiPropertyOptional({
    description: 'Items per page, 1..100 (larger values are clamped to 100).',
    minimum: 1,
    default: MAX_PAGE_SIZE,
    example: 20,
  })
  @IsOptionalNotNull()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  page_size?: number;

  /** The `next_page_token` of the previous page, or a time; omit for the first page. */
  @ApiPropertyOptional({
    description:
      'The `next_page_token` of the previous page; or, as VoIPBIN reads it, an ISO 8601 time such as ' +
      '`2026-12-01T10:15:30.123456Z` (the `tm_create` of the last item seen): the items created strictly ' +
      'before it. Omit (or send `""`) for the first page.',
  })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(256)
  page_token?: string;
}
