import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsString, Length, Matches } from 'class-validator';
import { IsOptionalNotNull } from '../../common/optional.decorator.js';
import { Permission } from '../customer.entity.js';
import { UpdateProfileDto } from './update-profile.dto.js';

/**
 * ASCII only, compared in lower case: MySQL's default collations ignore case and accents while
 * SQLite compares bytes, so anything wider would make the two databases disagree on who is who.
 */
export const USERNAME = /^[a-z0-9._@+-]{1,255}$/;

const { ProjectSuperAdmin, CustomerAdmin, CustomerManager } = Permission;
/** Every combination of the known bits. */
export const PERMISSIONS = [0, 1, 2, 3, 4, 5, 6, 7].map(
  (i) => (i & 1 ? ProjectSuperAdmin : 0) | (i & 2 ? CustomerAdmin : 0) | (i & 4 ? CustomerManager : 0),
);

/**
 * A new customer: VoIPBIN's body (the customer fields), and this service's own `username`,
 * `password` and `permission`, all optional.
 */
export class CreateCustomerDto extends UpdateProfileDto {
  @ApiPropertyOptional({
    description:
      'Unique among live customers, case-insensitive (kept in lower case): 1..255 of A-Z a-z 0-9 . _ @ + -. ' +
      'The email when absent (as VoIPBIN names its users).',
    example: 'reporting@example.com',
  })
  @IsOptionalNotNull()
  @Transform(({ value }) => (typeof value === 'string' ? value.toLowerCase() : value))
  @IsString()
  @Matches(USERNAME, { message: 'username must be 1..255 of the characters A-Z a-z 0-9 . _ @ + -' })
  username?: string;

  @ApiPropertyOptional({
    description:
      '8..128 characters. When absent, the customer cannot log in until a super admin (or `npm run admin -- reset-password`) sets one.',
    example: 'correct horse battery staple',
  })
  @IsOptionalNotNull()
  @IsString()
  @Length(8, 128)
  password?: string;

  @ApiPropertyOptional({
    description: 'Permission bits: 1 project super admin, 32 customer admin, 64 customer manager.',
    default: CustomerAdmin,
    enum: PERMISSIONS,
    example: CustomerAdmin,
  })
  @IsOptionalNotNull()
  @IsInt()
  @IsIn(PERMISSIONS, { message: 'permission must combine the bits 1, 32 and 64' })
  permission?: number;
}
