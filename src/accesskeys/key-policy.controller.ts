import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuditContext } from '../audit/audit-event.js';
import { AuditedBy } from '../audit/origin.decorator.js';
import { ApiError } from '../common/api-error.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { Auth, CurrentPrincipal } from '../common/auth.decorators.js';
import type { Principal } from '../common/principal.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { CustomerRepository } from '../customers/customer.repository.js';
import { customerNotFound } from '../customers/customers.errors.js';
import { KeyPolicyDto, UpdateKeyPolicyDto } from './dto/key-policy.dto.js';
import { KeyPolicyService } from './key-policy.service.js';

const BAD_POLICY = ApiError.invalidArgument([
  { field: 'max_lifetime', message: 'max_lifetime must not be less than 86400' },
]);

@ApiTags('customer')
@Controller('v1.0/customer/key-policy')
export class KeyPolicyController {
  constructor(private readonly policies: KeyPolicyService) {}

  @Get()
  @Auth('customer:read')
  @ApiOperation({ summary: "The caller's key policy (the defaults until it sets one)" })
  @ApiOkResponse({ type: KeyPolicyDto })
  get(@CurrentPrincipal() principal: Principal): Promise<KeyPolicyDto> {
    return this.policies.get(principal.customerId);
  }

  @Put()
  @Auth('customer:write')
  @ApiOperation({ summary: "Change the caller's key policy (only the fields given; null clears a limit)" })
  @ApiOkResponse({ type: KeyPolicyDto, description: 'The policy as left.' })
  @ApiErrors(BAD_POLICY)
  update(
    @CurrentPrincipal() principal: Principal,
    @AuditedBy() by: AuditContext,
    @Body() dto: UpdateKeyPolicyDto,
  ): Promise<KeyPolicyDto> {
    return this.policies.update(principal.customerId, dto, by);
  }
}

@ApiTags('customers')
@Controller('v1.0/customers/:id/key-policy')
export class CustomerKeyPolicyController {
  constructor(
    private readonly policies: KeyPolicyService,
    private readonly customers: CustomerRepository,
  ) {}

  @Get()
  @Auth('customers:read')
  @ApiOperation({ summary: "A customer's key policy (super admin)" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: KeyPolicyDto })
  @ApiErrors(ApiError.invalidId(), customerNotFound())
  async get(@Param('id', UuidParamPipe) id: string): Promise<KeyPolicyDto> {
    await this.live(id);
    return this.policies.get(id);
  }

  @Put()
  @Auth('customers:write')
  @ApiOperation({ summary: "Change a customer's key policy (super admin)" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: KeyPolicyDto, description: 'The policy as left.' })
  @ApiErrors(BAD_POLICY, ApiError.invalidId(), customerNotFound())
  async update(
    @Param('id', UuidParamPipe) id: string,
    @AuditedBy() by: AuditContext,
    @Body() dto: UpdateKeyPolicyDto,
  ): Promise<KeyPolicyDto> {
    await this.live(id);
    return this.policies.update(id, dto, by);
  }

  private async live(id: string): Promise<void> {
    if ((await this.customers.findLive(id)) === null) throw customerNotFound();
  }
}
