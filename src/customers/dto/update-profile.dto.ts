import { ApiPropertyOptional } from '@nestjs/swagger';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { IsIn, IsString, IsUrl, Matches, MaxLength } from 'class-validator';
import { IsOptionalNotNull, IsOptionalOrEmpty } from '../../common/optional.decorator.js';

/**
 * JSON Schema's `email` format, as ajv-formats defines it: VoIPBIN's schema declares the field in
 * that format, so every address this service answers with is one that schema accepts.
 */
const EMAIL = fullFormats.email as RegExp;
/** E.164: a `+`, then 2 to 15 digits, the first not 0. */
const E164 = /^\+[1-9]\d{1,14}$/;
export const WEBHOOK_METHODS = ['', 'POST', 'GET', 'PUT', 'DELETE'];

/**
 * What a customer may change of itself: VoIPBIN's customer fields. Only the fields given change;
 * `""` clears one.
 */
export class UpdateProfileDto {
  @ApiPropertyOptional({ maxLength: 255, example: 'Acme Corporation' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(255)
  name?: string;

  @ApiPropertyOptional({ maxLength: 4096, example: 'Enterprise customer account' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(4096)
  detail?: string;

  @ApiPropertyOptional({ format: 'email', maxLength: 254, example: 'admin@acme.com' })
  @IsOptionalOrEmpty()
  @IsString()
  @MaxLength(254)
  @Matches(EMAIL, { message: 'email must be an email address' })
  email?: string;

  @ApiPropertyOptional({ description: 'E.164: `+` and 2 to 15 digits.', example: '+14155551234' })
  @IsOptionalOrEmpty()
  @IsString()
  @Matches(E164, { message: 'phone_number must be in E.164 format, such as +14155551234' })
  phone_number?: string;

  @ApiPropertyOptional({ maxLength: 1024, example: '123 Main St, San Francisco, CA 94105' })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(1024)
  address?: string;

  @ApiPropertyOptional({ enum: WEBHOOK_METHODS, example: 'POST' })
  @IsOptionalNotNull()
  @IsIn(WEBHOOK_METHODS, { message: `webhook_method must be one of "", POST, GET, PUT, DELETE` })
  webhook_method?: string;

  @ApiPropertyOptional({
    description: 'An http or https URL, at most 1023 characters.',
    maxLength: 1023,
    example: 'https://api.acme.com/webhooks/voipbin',
  })
  @IsOptionalOrEmpty()
  @IsString()
  @MaxLength(1023)
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'webhook_uri must be an http or https URL' },
  )
  webhook_uri?: string;
}
