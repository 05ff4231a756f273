import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { IsOptionalNotNull } from '../../common/optional.decorator.js';

/** Only the fields given change. */
export class UpdateAccessKeyDto {
  @ApiPropertyOptional({ maxLength: 255, example: 'reporting (old)' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(255)
  name?: string;

  @ApiPropertyOptional({ maxLength: 4096, example: 'replaced by the new exporter' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(4096)
  detail?: string;
}
