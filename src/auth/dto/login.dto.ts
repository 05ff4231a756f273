import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { IsOptionalNotNull } from '../../common/optional.decorator.js';

export class LoginDto {
  @ApiProperty({ example: 'admin' })
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  username: string;

  @ApiProperty({ example: 'your-password' })
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password: string;

  @ApiPropertyOptional({
    description: 'When the account has a second factor: a 6-digit TOTP code, or a recovery code.',
    example: '123456',
  })
  @IsOptionalNotNull()
  @IsString()
  @MaxLength(64)
  otp?: string;
}

export class LoginResponseDto {
  @ApiProperty({ example: 'admin' })
  username: string;

  @ApiProperty({
    description:
      'A JWT (HS256, or ES256 with a `kid` when configured) valid for 7 days. Also set as the `token` cookie.',
    example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...',
  })
  token: string;
}

/** Whether the credential sent (the login cookie, for a page) stands for a live login. */
export class SessionStateDto {
  @ApiProperty({ description: 'Whether a login JWT was sent that works now.' })
  active: boolean;

  @ApiPropertyOptional({ example: 'admin' })
  username?: string;

  @ApiPropertyOptional({ description: 'Its customer’s permission bits.', example: 32 })
  permission?: number;
}
