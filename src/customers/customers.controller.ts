import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, UseGuards } from '@nestjs/common';
import { StepUpGuard } from '../totp/step-up.guard.js';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuditContext } from '../audit/audit-event.js';
import { AuditedBy } from '../audit/origin.decorator.js';
import { Auth, CurrentPrincipal } from '../common/auth.decorators.js';
import type { Principal } from '../common/principal.js';
import { ApiError } from '../common/api-error.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { PageQueryDto } from '../common/page.dto.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import {
  cannotDeleteSelf,
  cannotDemoteSelf,
  customerNotFound,
  lastSuperAdmin,
  noUsername,
  passwordChanged,
  usernameTaken,
  wrongOldPassword,
} from './customers.errors.js';
import { CustomersService } from './customers.service.js';
import { CreateCustomerDto } from './dto/create-customer.dto.js';
import { CustomerDto, CustomerPageDto, OwnCustomerDto } from './dto/customer.dto.js';
import { ChangePasswordDto, UpdateCustomerDto } from './dto/update-customer.dto.js';
import { UpdateProfileDto } from './dto/update-profile.dto.js';

const BAD_ID = ApiError.invalidId();
const BAD_NAME = ApiError.invalidArgument([
  { field: 'name', message: 'name must be shorter than or equal to 255 characters' },
]);

@ApiTags('customer')
@Controller('v1.0/customer')
export class CustomerController {
  constructor(private readonly customers: CustomersService) {}

  @Get()
  @Auth('customer:read')
  @ApiOperation({ summary: "The caller's own customer" })
  @ApiOkResponse({ type: OwnCustomerDto })
  get(@CurrentPrincipal() principal: Principal): Promise<OwnCustomerDto> {
    return this.customers.own(principal);
  }

  @Put()
  @Auth('customer:write')
  @ApiOperation({
    summary: 'Change the caller\'s own customer fields (only the fields given; "" clears one)',
  })
  @ApiOkResponse({ type: CustomerDto })
  @ApiErrors(BAD_NAME)
  update(
    @CurrentPrincipal() principal: Principal,
    @AuditedBy() by: AuditContext,
    @Body() dto: UpdateProfileDto,
  ): Promise<CustomerDto> {
    return this.customers.updateProfile(principal.customerId, dto, by);
  }

  @Put('password')
  @Auth('customer:write', { jwtOnly: true })
  @UseGuards(StepUpGuard)
  @ApiOperation({
    summary: "Change the caller's password (JWT only); every other session ends, the caller's goes on",
  })
  @ApiOkResponse({ type: CustomerDto })
  @ApiErrors(wrongOldPassword(), passwordChanged())
  changePassword(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: ChangePasswordDto,
    @AuditedBy() by: AuditContext,
  ): Promise<CustomerDto> {
    return this.customers.changePassword(principal.customerId, dto, by, principal.sessionId ?? null);
  }
}

@ApiTags('customers')
@Controller('v1.0/customers')
@UseGuards(StepUpGuard)
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  @Post()
  @HttpCode(200)
  @Auth('customers:write')
  @ApiOperation({
    summary: 'Create a customer (super admin)',
    description:
      "Takes VoIPBIN's body. Without a username the email is the username; without a password the " +
      'customer cannot log in until one is set.',
  })
  @ApiOkResponse({ type: CustomerDto })
  @ApiErrors(
    ApiError.invalidArgument([
      { field: 'password', message: 'password must be longer than or equal to 8 characters' },
    ]),
    noUsername(),
    usernameTaken(),
  )
  create(@Body() dto: CreateCustomerDto, @AuditedBy() by: AuditContext): Promise<CustomerDto> {
    return this.customers.create(dto, by);
  }

  @Get()
  @Auth('customers:read')
  @ApiOperation({ summary: 'List live customers, newest first (super admin)' })
  @ApiOkResponse({ type: CustomerPageDto })
  @ApiErrors(
    ApiError.invalidArgument([{ field: 'page_size', message: 'page_size must be an integer number' }]),
  )
  list(@Query() query: PageQueryDto): Promise<CustomerPageDto> {
    return this.customers.list(query.page_size, query.page_token);
  }

  @Get(':id')
  @Auth('customers:read')
  @ApiOperation({ summary: 'Get a customer (super admin)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: CustomerDto })
  @ApiErrors(BAD_ID, customerNotFound())
  get(@Param('id', UuidParamPipe) id: string): Promise<CustomerDto> {
    return this.customers.get(id);
  }

  @Put(':id')
  @Auth('customers:write')
  @ApiOperation({ summary: "Change a customer's fields, permission or password (super admin)" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: CustomerDto })
  @ApiErrors(BAD_NAME, BAD_ID, customerNotFound(), cannotDemoteSelf(), lastSuperAdmin())
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: UpdateCustomerDto,
    @AuditedBy() by: AuditContext,
  ): Promise<CustomerDto> {
    // A password reset is for a person logged in, as a password change is: a leaked key of a super
    // admin must not be enough to take its own account, or any other, over.
    if (dto.password !== undefined && principal.via !== 'jwt') {
      throw ApiError.permissionDenied(
        'Only a login JWT (POST /auth/login) may set a password; an access key may not.',
      );
    }
    return this.customers.updateByAdmin(id, dto, by);
  }

  @Delete(':id')
  @Auth('customers:write')
  @ApiOperation({ summary: 'Delete a customer: its JWTs and keys stop working at once (super admin)' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: CustomerDto, description: 'The deleted customer, with `tm_delete` set.' })
  @ApiErrors(BAD_ID, customerNotFound(), cannotDeleteSelf(), lastSuperAdmin())
  remove(@Param('id', UuidParamPipe) id: string, @AuditedBy() by: AuditContext): Promise<CustomerDto> {
    return this.customers.remove(id, by);
  }
}
