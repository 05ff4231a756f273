import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { IsOptionalNotNull } from '../../common/optional.decorator.js';
import { LEAK_ACTIONS, type LeakAction } from '../key-policy.entity.js';

const MIN_LIFETIME = 86400;
const MAX_LIFETIME = 315360000;
const MAX_UNUSED_DAYS = 3650;

export class KeyPolicyDto {
  /** The longest a new key may live, in seconds; null: up to the API's 10 years. */
  @ApiProperty({ type: 'integer', nullable: true, example: 7776000 })
  max_lifetime: number | null;

  /** A key unused for this many days is disabled; null: never. */
  @ApiProperty({ type: 'integer', nullable: true, example: 90 })
  disable_unused_days: number | null;

  /** What a leak report of a live key does: revoke it, keep it read-only, or only record it. */
  @ApiProperty({ enum: LEAK_ACTIONS, example: 'revoke' })
  leak_action: LeakAction;
}

/** Only the fields given change; null clears a limit. */
export class UpdateKeyPolicyDto {
  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: MIN_LIFETIME,
    maximum: MAX_LIFETIME,
    example: 7776000,
  })
  @IsOptional()
  @IsInt()
  @Min(MIN_LIFETIME)
  @Max(MAX_LIFETIME)
  max_lifetime?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, minimum: 1, maximum: MAX_UNUSED_DAYS, example: 90 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_UNUSED_DAYS)
  disable_unused_days?: number | null;

  @ApiPropertyOptional({ enum: LEAK_ACTIONS, example: 'quarantine' })
  @IsOptionalNotNull()
  @IsIn(LEAK_ACTIONS)
  leak_action?: LeakAction;
}
