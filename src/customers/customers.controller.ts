import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { ErrorEnvelopeDto } from '../common/error-envelope.dto.js';
import { Permission } from './customer.entity.js';
import { CustomersService } from './customers.service.js';
import { CreateCustomerDto } from './dto/create-customer.dto.js';
import { CustomerDto } from './dto/customer.dto.js';

@ApiTags('customer')
@Controller('v1.0/customer')
export class CustomerController {
  constructor(private readonly customers: CustomersService) {}

  @Get()
  @Auth()
  @ApiOperation({ summary: "The caller's own customer" })
  @ApiOkResponse({ type: CustomerDto })
  get(@CurrentPrincipal() principal: Principal): Promise<CustomerDto> {
    return this.customers.get(principal.customerId);
  }
}

@ApiTags('customers')
@Controller('v1.0/customers')
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  @Post()
  @HttpCode(200)
  @Auth(Permission.ProjectSuperAdmin)
  @ApiOperation({ summary: 'Create a customer (super admin)' })
  @ApiOkResponse({ type: CustomerDto })
  @ApiBadRequestResponse({ type: ErrorEnvelopeDto })
  @ApiConflictResponse({ description: 'The username is taken.', type: ErrorEnvelopeDto })
  create(@Body() dto: CreateCustomerDto): Promise<CustomerDto> {
    return this.customers.create(dto);
  }
}
