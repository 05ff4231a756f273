import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsInt, IsString, Max, MaxLength, Min, ValidateBy } from 'class-validator';
import { cidrProblem } from '../../common/networks.js';
import { scopeProblem } from '../../common/scopes.js';
import { IsOptionalNotNull } from '../../common/optional.decorator.js';

/** Each value of an array passes `problem` (which says why one does not). */
const EachIs = (name: string, problem: (value: unknown) => string | null, hint: string) =>
  ValidateBy(
    { name, validator: { validate: (value: unknown) => problem(value) === null } },
    { each: true, message: ({ property }) => `each value in ${property} ${hint}` },
  );

const MAX_SCOPES = 64;
const MAX_CIDRS = 16;
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

  @ApiPropertyOptional({
    description:
      'What the key may do: `resource:read` or `resource:write` (write implies read; `*` is every ' +
      "resource of the customer's own; the resources are at GET /v1.0/scopes). Never more than the " +
      "caller may do itself. When absent: the caller's own (for a login JWT, `*:write`: the customer's " +
      'admin, without super-admin powers).',
    type: [String],
    maxItems: MAX_SCOPES,
    example: ['calls:read', 'numbers:read'],
  })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(MAX_SCOPES)
  @EachIs(
    'isScope',
    scopeProblem,
    'must be resource:read or resource:write, with a resource of GET /v1.0/scopes',
  )
  scopes?: string[];

  @ApiPropertyOptional({
    description:
      'The networks (IPv4 or IPv6 CIDRs) the key may be used from; empty or absent: anywhere (but a key ' +
      'made by a key with networks keeps within them).',
    type: [String],
    maxItems: MAX_CIDRS,
    example: ['203.0.113.0/24'],
  })
  @IsOptionalNotNull()
  @IsArray()
  @ArrayMaxSize(MAX_CIDRS)
  @EachIs('isCidr', cidrProblem, 'must be an IPv4 or IPv6 CIDR such as 203.0.113.0/24')
  allowed_cidrs?: string[];
}
