import { Body, Controller, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ErrorEnvelopeDto } from '../common/error-envelope.dto.js';
import { AppConfig } from '../config/app-config.js';
import { Public } from './auth.decorators.js';
import { AuthService } from './auth.service.js';
import { LoginThrottlerGuard } from './login-throttler.guard.js';
import { LoginDto, LoginResponseDto } from './dto/login.dto.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly config: AppConfig,
  ) {}

  @Post('login')
  @Public()
  @UseGuards(LoginThrottlerGuard)
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in with a username and password; returns a JWT valid for 7 days' })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiBadRequestResponse({
    description: 'Missing fields or a body that is not JSON.',
    type: ErrorEnvelopeDto,
  })
  @ApiUnauthorizedResponse({ description: 'Wrong username or password.', type: ErrorEnvelopeDto })
  @ApiTooManyRequestsResponse({
    description: 'Too many attempts from this address or for this username; see Retry-After.',
    type: ErrorEnvelopeDto,
  })
  async login(
    @Body() dto: LoginDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LoginResponseDto> {
    const result = await this.auth.login(dto.username, dto.password);
    void reply.header('cache-control', 'no-store').setCookie('token', result.token, {
      httpOnly: true,
      sameSite: 'strict',
      path: '/',
      maxAge: this.config.jwt.expiresIn,
      secure: this.config.cookieSecure,
    });
    return result;
  }
}
