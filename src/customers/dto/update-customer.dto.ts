import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Length } from 'class-validator';
import { IsOptionalNotNull } from '../../common/optional.decorator.js';
import { PERMISSIONS } from './create-customer.dto.js';
import { UpdateProfileDto } from './update-profile.dto.js';

/** What a super admin may change of any customer. Only the fields given change. */
export class UpdateCustomerDto extends UpdateProfileDto {
  @ApiPropertyOptional({
    description: 'Permission bits: 1 project super admin, 32 customer admin, 64 customer manager.',
    enum: PERMISSIONS,
    example: 96,
  })
  @IsOptionalNotNull()
  @IsInt()
  @IsIn(PERMISSIONS, { message: 'permission must combine the bits 1, 32 and 64' })
  permission?: number;

  @ApiPropertyOptional({
    description: 'A new password (8..128 characters); revokes every JWT of the customer.',
    example: 'a new long password',
  })
  @IsOptionalNotNull()
  @IsString()
  @Length(8, 128)
  password?: string;
}

export class ChangePasswordDto {
  @ApiProperty({ description: 'The current password.', example: 'old-password' })
  @IsString()
  @Length(1, 1024)
  old_password: string;

  @ApiProperty({ description: '8..128 characters.', example: 'a new long password' })
  @IsString()
  @Length(8, 128)
  new_password: string;
}
