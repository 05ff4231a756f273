import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { IsOptionalNotNull } from '../../common/optional.decorator.js';

export const DEFAULT_GRACE = 86400;

export class RollAccessKeyDto {
  @ApiPropertyOptional({
    description: 'Seconds the old secret keeps working, 0..604800 (7 days). 0 kills it at once.',
    minimum: 0,
    maximum: 604800,
    default: DEFAULT_GRACE,
    example: 3600,
  })
  @IsOptionalNotNull()
  @IsInt()
  @Min(0)
  @Max(604800)
  grace?: number;
}
