import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth.decorators.js';
import { JwksDto } from './dto/introspect.dto.js';
import { JwtTokens } from './jwt-tokens.js';

@ApiTags('auth')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly tokens: JwtTokens) {}

  @Get('jwks.json')
  @Public()
  // Short, so that a key added for a rotation is seen soon (verifiers refetch on an unknown kid anyway).
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({ summary: 'The public keys that verify login JWTs (ES256), by kid; empty under HS256' })
  @ApiOkResponse({ type: JwksDto })
  get(): JwksDto {
    return this.tokens.jwks;
  }
}
