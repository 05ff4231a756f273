import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuditContext } from '../audit/audit-event.js';
import { AuditedBy } from '../audit/origin.decorator.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { Auth, CurrentPrincipal } from '../common/auth.decorators.js';
import type { Principal } from '../common/principal.js';
import { OtpDto, RecoveryCodesDto, TotpEnrolmentDto } from './dto/totp.dto.js';
import {
  otpInvalid,
  stepUpRequired,
  totpAlreadyEnabled,
  totpNotEnabled,
  totpNotPending,
} from './totp.errors.js';
import { TotpService } from './totp.service.js';

@ApiTags('customer')
@Controller('v1.0/customer/totp')
export class TotpController {
  constructor(private readonly totp: TotpService) {}

  @Post()
  @Auth('customer:write', { jwtOnly: true })
  @HttpCode(200)
  @ApiOperation({ summary: 'Start (or restart) a TOTP enrolment: the secret and otpauth:// URI, shown once' })
  @ApiOkResponse({ type: TotpEnrolmentDto })
  @ApiErrors(totpAlreadyEnabled())
  enrol(@CurrentPrincipal() principal: Principal): Promise<TotpEnrolmentDto> {
    return this.totp.enrol(principal.customerId);
  }

  @Post('confirm')
  @Auth('customer:write', { jwtOnly: true })
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Enable the pending TOTP secret with a first code; ten recovery codes, shown once; other sessions end',
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiErrors(otpInvalid(), totpNotPending())
  confirm(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: OtpDto,
    @AuditedBy() by: AuditContext,
  ): Promise<RecoveryCodesDto> {
    return this.totp.confirm(principal, dto.otp, by);
  }

  @Post('disable')
  @Auth('customer:write', { jwtOnly: true })
  @HttpCode(204)
  @ApiOperation({ summary: 'Disable TOTP with a current code or a recovery code (needs a fresh login)' })
  @ApiNoContentResponse()
  @ApiErrors(otpInvalid(), stepUpRequired(), totpNotEnabled())
  disable(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: OtpDto,
    @AuditedBy() by: AuditContext,
  ): Promise<void> {
    return this.totp.disable(principal, dto.otp, by);
  }
}
