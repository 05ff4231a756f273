import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError } from '../common/api-error.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { ANY_SCOPE, Auth, CurrentPrincipal, Public } from '../common/auth.decorators.js';
import type { Principal } from '../common/principal.js';
import { RESOURCES, SUPER_ADMIN_RESOURCES } from '../common/scopes.js';
import { authorization } from './authorization.js';
import { ExplainDto, ExplanationDto, ScopeCatalogueDto } from './dto/scopes.dto.js';
import { RouteScopes } from './route-scopes.js';

const NO_SUCH_ROUTE = ApiError.invalidArgument([
  { field: 'path', message: 'path is no route of this service and names no resource of GET /v1.0/scopes' },
]);

@ApiTags('scopes')
@Controller('v1.0')
export class ScopesController {
  private readonly catalogue: ScopeCatalogueDto = {
    resources: RESOURCES.map((resource) => ({
      resource,
      scopes: [`${resource}:read`, `${resource}:write`],
      super_admin: SUPER_ADMIN_RESOURCES.includes(resource),
    })),
    wildcards: ['*:read', '*:write'],
  };

  constructor(private readonly routes: RouteScopes) {}

  @Get('scopes')
  @Public()
  @ApiOperation({
    summary: "The scopes an access key may hold: this service's resources and the VoIPBIN API's",
  })
  @ApiOkResponse({ type: ScopeCatalogueDto })
  list(): ScopeCatalogueDto {
    return this.catalogue;
  }

  @Post('auth/explain')
  @HttpCode(200)
  @Auth(ANY_SCOPE)
  @ApiOperation({ summary: 'Whether the caller may call a route, and why not: for debugging a 403' })
  @ApiOkResponse({ type: ExplanationDto })
  @ApiErrors(NO_SUCH_ROUTE)
  explain(@CurrentPrincipal() principal: Principal, @Body() dto: ExplainDto): ExplanationDto {
    const rule = this.routes.find(dto.method, dto.path);
    if (rule === null) throw NO_SUCH_ROUTE;
    if (rule.public) return { allowed: true, scope: null, reason: 'a public route' };
    const scope = rule.scope ?? null;
    if (scope === null)
      return { allowed: false, scope, reason: 'the route declares no scope, so nobody may call it' };
    switch (authorization(principal, scope, rule.jwtOnly)) {
      case 'allowed':
        return {
          allowed: true,
          scope,
          reason: scope === ANY_SCOPE ? 'any caller' : `the caller holds ${scope}`,
        };
      case 'jwt-only':
        return { allowed: false, scope, reason: 'only a login JWT may call it, not an access key' };
      case 'insufficient-scope':
        return {
          allowed: false,
          scope,
          missing_scope: scope,
          reason: `the access key's scopes do not include ${scope}`,
        };
      case 'permission-denied':
        return { allowed: false, scope, reason: `the customer's permission does not include ${scope}` };
    }
  }
}
