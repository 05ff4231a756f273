import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { Auth, CurrentPrincipal } from '../auth/auth.decorators.js';
import type { Principal } from '../auth/principal.js';
import { ErrorEnvelopeDto } from '../common/error-envelope.dto.js';
import { PageQueryDto } from '../common/page.dto.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { Permission } from '../customers/customer.entity.js';
import { AccessKeysService } from './accesskeys.service.js';
import { AccessKeyDto, AccessKeyPageDto } from './dto/access-key.dto.js';
import { CreateAccessKeyDto } from './dto/create-access-key.dto.js';
import { DEFAULT_GRACE, RollAccessKeyDto } from './dto/roll-access-key.dto.js';
import { UpdateAccessKeyDto } from './dto/update-access-key.dto.js';

const NOT_FOUND = {
  description: 'No such key for this customer (or it was deleted).',
  type: ErrorEnvelopeDto,
};

@ApiTags('accesskeys')
@Controller('v1.0/accesskeys')
@Auth(Permission.CustomerAdmin | Permission.ProjectSuperAdmin)
@ApiBadRequestResponse({ description: 'Invalid body, query or id.', type: ErrorEnvelopeDto })
export class AccessKeysController {
  constructor(private readonly accessKeys: AccessKeysService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Create an access key; its token is in this response only' })
  @ApiOkResponse({ type: AccessKeyDto })
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateAccessKeyDto): Promise<AccessKeyDto> {
    return this.accessKeys.create(principal.customerId, dto);
  }

  @Get()
  @ApiOperation({ summary: "List the caller's access keys, newest first" })
  @ApiOkResponse({ type: AccessKeyPageDto })
  list(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto): Promise<AccessKeyPageDto> {
    return this.accessKeys.list(principal.customerId, query.page_size, query.page_token);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an access key' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: AccessKeyDto })
  @ApiNotFoundResponse(NOT_FOUND)
  get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', UuidParamPipe) id: string,
  ): Promise<AccessKeyDto> {
    return this.accessKeys.get(principal.customerId, id);
  }

  @Put(':id')
  @ApiOperation({ summary: "Change an access key's name or detail (only the fields given)" })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: AccessKeyDto })
  @ApiNotFoundResponse(NOT_FOUND)
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: UpdateAccessKeyDto,
  ): Promise<AccessKeyDto> {
    return this.accessKeys.update(principal.customerId, id, dto);
  }

  @Post(':id/roll')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Give a key a new secret (shown once); the old one keeps working for `grace` seconds',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: AccessKeyDto })
  @ApiNotFoundResponse(NOT_FOUND)
  roll(
    @CurrentPrincipal() principal: Principal,
    @Param('id', UuidParamPipe) id: string,
    @Body() dto: RollAccessKeyDto,
  ): Promise<AccessKeyDto> {
    return this.accessKeys.roll(principal.customerId, id, dto.grace ?? DEFAULT_GRACE);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete an access key; it stops working at once' })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiOkResponse({ type: AccessKeyDto })
  @ApiNotFoundResponse(NOT_FOUND)
  remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id', UuidParamPipe) id: string,
  ): Promise<AccessKeyDto> {
    return this.accessKeys.remove(principal.customerId, id);
  }
}
