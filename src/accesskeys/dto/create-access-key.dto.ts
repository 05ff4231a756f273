import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsOptionalNotNull } from '../../common/optional.decorator.js';

const MIN_EXPIRE = 86400;
const MAX_EXPIRE = 315360000;
export const DEFAULT_EXPIRE = 31536000;

export class CreateAccessKeyDto {
  @ApiPropertyOptional({ maxLength: 255, default: '', example: 'reporting' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(255)
  name?: string;

  @ApiPropertyOptional({ maxLength: 4096, default: '', example: 'nightly export' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(4096)
  detail?: string;

  @ApiPropertyOptional({
    description: 'Seconds the key stays valid: 86400 (1 day) to 315360000 (10 years).',
    minimum: MIN_EXPIRE,
    maximum: MAX_EXPIRE,
    default: DEFAULT_EXPIRE,
    example: 2592000,
  })
  @IsOptionalNotNull()
  @IsInt()
  @Min(MIN_EXPIRE)
  @Max(MAX_EXPIRE)
  expire?: number;
}
