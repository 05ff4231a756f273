import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { AuditContext } from '../audit/audit-event.js';
import { AuditedBy } from '../audit/origin.decorator.js';
import { Auth, CurrentPrincipal, CurrentSecretOnly } from '../common/auth.decorators.js';
import type { Principal } from '../common/principal.js';
import { ApiError } from '../common/api-error.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { PageQueryDto } from '../common/page.dto.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { accessKeyNotDisabled, accessKeyNotFound } from './accesskeys.errors.js';
import { AccessKeysService } from './accesskeys.service.js';
import {
  ACCESS_KEY_PAGE_SCHEMA,
  ACCESS_KEY_SCHEMA,
  AccessKeyDto,
  AccessKeyPageDto,
  NEW_ACCESS_KEY_SCHEMA,
} from './dto/access-key.dto.js';
import { CreateAccessKeyDto } from './dto/create-access-key.dto.js';
import { DEFAULT_GRACE, RollAccessKeyDto } from './dto/roll-access-key.dto.js';
import { UpdateAccessKeyDto } from './dto/update-access-key.dto.js';

const BAD_ID = ApiError.invalidId();
const BAD_BODY = ApiError.invalidArgument([{ field: 'name', message: 'name must be a string' }]);

@ApiTags('accesskeys')
@Controller('v1.0/accesskeys')
export class AccessKeysController {
  constructor(private readonly accessKeys: AccessKeysService) {}

  @Post()
  @Auth('accesskeys:write')
  @CurrentSecretOnly()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create an access key; its token is in this response only' })
  @ApiOkResponse({ type: AccessKeyDto, description: 'The new key, with its `token`.' })
  @RouteSchema({ response: { 200: NEW_ACCESS_KEY_SCHEMA } })
  @ApiErrors(ApiError.invalidArgument([{ field: 'expire', message: 'expire must not be less than 86400' }]))
  create(
    @CurrentPrincipal() principal: Principal,
    @AuditedBy() by: AuditContext,
    @Body() dto: CreateAccessKeyDto,
  ): Promise<AccessKeyDto> {
    return this.accessKeys.create(principal, dto, by);
  }

  @Get()
  @Auth('accesskeys:read')
  @ApiOperation({ summary: "List the caller's access keys, newest first" })
  @ApiOkResponse({ type: AccessKeyPageDto })
  @RouteSchema({ response: { 200: ACCESS_KEY_PAGE_SCHEMA } })
  @ApiErrors(ApiError.invalidArgument([{ field: 'page_size', message: 'page_size must not be less than 1' }]))
  list(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<AccessKeyPageDto> {
    return this.accessKeys.list(principal.customerId, query.page_size, query.page_token);
  }

  @Get(':id')
  @Auth('accesskeys:read')
  @ApiOperation({ summary: 'Get an access key' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: AccessKeyDto })
  @RouteSchema({ response: { 200: ACCESS_KEY_SCHEMA } })
  @ApiErrors(BAD_ID, accessKeyNotFound())
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', UuidParamPipe) id: string,
  ): Promise<AccessKeyDto> {
    return this.accessKeys.get(principal.customerId, id);
  }

  @Put(':id')
  @Auth('accesskeys:write')
  @CurrentSecretOnly()
  @ApiOperation({ summary: "Change an access key's name or detail (only the fields given)" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: AccessKeyDto, description: 'The updated key.' })
  @ApiErrors(BAD_BODY, BAD_ID, accessKeyNotFound())
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: UpdateAccessKeyDto,
    @AuditedBy() by: AuditContext,
  ): Promise<AccessKeyDto> {
    return this.accessKeys.update(principal, id, dto, by);
  }

  @Post(':id/roll')
  @Auth('accesskeys:write')
  @CurrentSecretOnly()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Give a key a new secret (shown once); the old one keeps working for `grace` seconds',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: AccessKeyDto, description: 'The key, with its new `token`.' })
  @ApiErrors(
    ApiError.invalidArgument([{ field: 'grace', message: 'grace must not be greater than 604800' }]),
    BAD_ID,
    accessKeyNotFound(),
  )
  roll(
    @CurrentPrincipal() principal: Principal,
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: RollAccessKeyDto,
    @AuditedBy() by: AuditContext,
  ): Promise<AccessKeyDto> {
    return this.accessKeys.roll(principal, id, dto.grace ?? DEFAULT_GRACE, by);
  }

  @Post(':id/enable')
  @Auth('accesskeys:write')
  @CurrentSecretOnly()
  @HttpCode(200)
  @ApiOperation({ summary: 'Enable a key disabled for going unused; it works again at once' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: AccessKeyDto, description: 'The key, with `tm_disabled` null.' })
  @RouteSchema({ response: { 200: ACCESS_KEY_SCHEMA } })
  @ApiErrors(BAD_ID, accessKeyNotFound(), accessKeyNotDisabled())
  enable(
    @CurrentPrincipal() principal: Principal,
    @Param('id', UuidParamPipe) id: string,
    @AuditedBy() by: AuditContext,
  ): Promise<AccessKeyDto> {
    return this.accessKeys.enable(principal, id, by);
  }

  @Delete(':id')
  @Auth('accesskeys:write')
  @CurrentSecretOnly()
  @ApiOperation({ summary: 'Delete an access key; it stops working at once' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: AccessKeyDto, description: 'The deleted key, with `tm_delete` set.' })
  @ApiErrors(BAD_ID, accessKeyNotFound())
  remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id', UuidParamPipe) id: string,
    @AuditedBy() by: AuditContext,
  ): Promise<AccessKeyDto> {
    return this.accessKeys.remove(principal, id, by);
  }
}
