import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class OtpDto {
  @ApiProperty({
    description: 'A 6-digit code of the authenticator app, or a recovery code.',
    example: '123456',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  otp: string;
}

export class TotpEnrolmentDto {
  @ApiProperty({ description: 'The base32 secret, shown once.', example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' })
  secret: string;

  @ApiProperty({ example: 'otpauth://totp/voipbin-auth:alice?issuer=voipbin-auth&secret=...' })
  uri: string;
}

export class RecoveryCodesDto {
  @ApiProperty({ description: 'Ten single-use recovery codes, shown once.', type: [String] })
  recovery_codes: string[];
}

export class StepUpDto {
  @ApiProperty({ description: 'A new JWT of the same session, with a fresh `auth_time`.' })
  token: string;
}
