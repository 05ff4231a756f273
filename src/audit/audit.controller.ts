import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError } from '../common/api-error.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { Auth, CurrentPrincipal } from '../common/auth.decorators.js';
import type { Principal } from '../common/principal.js';
import { AuditService } from './audit.service.js';
import { AuditPageDto, AuditVerificationDto } from './dto/audit-event.dto.js';
import { AuditChainQueryDto, AuditQueryDto } from './dto/audit-query.dto.js';

@ApiTags('audit')
@Controller('v1.0/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Auth('audit:read')
  @ApiOperation({
    summary: "The caller's customer's audit log, newest first (a super admin: any customer's)",
  })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiErrors(
    ApiError.invalidArgument([{ field: 'action', message: 'action must be one of the following values' }]),
  )
  list(@CurrentPrincipal() principal: Principal, @Query() query: AuditQueryDto): Promise<AuditPageDto> {
    return this.audit.list(principal, query);
  }

  @Get('verify')
  @Auth('audit:read')
  @ApiOperation({
    summary: "Walk a customer's hash chain: valid, or the first sequence that does not match",
  })
  @ApiOkResponse({ type: AuditVerificationDto })
  @ApiErrors(ApiError.invalidArgument([{ field: 'customer_id', message: 'customer_id must be a UUID' }]))
  verify(
    @CurrentPrincipal() principal: Principal,
    @Query() query: AuditChainQueryDto,
  ): Promise<AuditVerificationDto> {
    return this.audit.verify(principal, query.customer_id);
  }
}
