import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuditContext, Origin } from '../audit/audit-event.js';
import { AuditedBy, RequestOrigin } from '../audit/origin.decorator.js';
import { ApiError } from '../common/api-error.js';
import { ApiErrors } from '../common/api-errors.decorator.js';
import { DATABASE_UNAVAILABLE } from '../common/error-envelope.js';
import { AppConfig } from '../config/app-config.js';
import { ANY_SCOPE, Auth, CurrentPrincipal, Public } from '../common/auth.decorators.js';
import { Clock } from '../common/clock.js';
import type { Principal } from '../common/principal.js';
import { SessionRepository, sessionsEnded } from '../sessions/session.repository.js';
import { AuthService } from './auth.service.js';
import { tooManyLoginAttempts } from './auth.errors.js';
import { sentAsOtherType } from './login-body.js';
import { LoginThrottle } from './login-throttle.js';
import { IntrospectDto, IntrospectionDto } from './dto/introspect.dto.js';
import { credentialOf } from './credentials.js';
import { LoginDto, LoginResponseDto, SessionStateDto } from './dto/login.dto.js';
import { IntrospectionService } from './introspection.service.js';
import { OtpDto, StepUpDto } from '../totp/dto/totp.dto.js';
import { otpInvalid, totpNotEnabled } from '../totp/totp.errors.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly introspection: IntrospectionService,
    private readonly throttle: LoginThrottle,
    private readonly config: AppConfig,
    private readonly sessions: SessionRepository,
    private readonly clock: Clock,
  ) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in with a username and password; returns a JWT valid for 7 days' })
  @ApiOkResponse({
    type: LoginResponseDto,
    description: 'Also sets the HttpOnly `token` cookie, when the body was sent as application/json.',
  })
  @ApiErrors(
    ApiError.invalidArgument([{ field: 'password', message: 'password must be a string' }]),
    ApiError.invalidCredentials(),
    tooManyLoginAttempts(42),
    DATABASE_UNAVAILABLE,
  )
  async login(
    @Body() dto: LoginDto,
    @Req() req: FastifyRequest,
    @RequestOrigin() origin: Origin,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<LoginResponseDto> {
    const result = await this.throttle.attempt(
      dto.username,
      req.ip,
      () => this.auth.login(dto.username, dto.password, origin, dto.otp),
      () => this.auth.recordThrottled(dto.username, origin),
    );
    void reply.header('cache-control', 'no-store');
    if (sentAsOtherType(req)) return result;
    void reply.setCookie('token', result.token, {
      ...this.cookieOptions(),
      maxAge: this.config.jwt.expiresIn,
    });
    return result;
  }

  @Post('step-up')
  @Auth(ANY_SCOPE, { jwtOnly: true })
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Give the second factor again: a new JWT of the same session with a fresh auth_time (the cookie too, when sent)',
  })
  @ApiOkResponse({ type: StepUpDto })
  @ApiErrors(otpInvalid(), totpNotEnabled())
  async stepUp(
    @Body() dto: OtpDto,
    @Req() req: FastifyRequest,
    @CurrentPrincipal() principal: Principal,
    @AuditedBy() by: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<StepUpDto> {
    const token = await this.throttle.attempt(
      principal.customerId,
      req.ip,
      () => this.auth.stepUp(principal, dto.otp, by),
      () => Promise.resolve(),
    );
    void reply.header('cache-control', 'no-store');
    if (credentialOf(req)?.source === 'cookie') {
      void reply.setCookie('token', token, { ...this.cookieOptions(), maxAge: this.config.jwt.expiresIn });
    }
    return { token };
  }

  /** The login cookie's attributes, the same when it is set and when it is cleared. */
  private cookieOptions() {
    return { httpOnly: true, sameSite: 'strict', path: '/', secure: this.config.cookieSecure } as const;
  }

  @Get('session')
  @Public()
  @ApiOperation({
    summary: 'Whether the login JWT sent (the cookie, for a page) works now, and whose it is; 200 either way',
  })
  @ApiOkResponse({ type: SessionStateDto })
  async session(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionStateDto> {
    void reply.header('cache-control', 'no-store');
    const credential = credentialOf(req);
    if (credential?.kind !== 'jwt') return { active: false };
    const found = await this.auth.validate(credential);
    if (typeof found === 'string') return { active: false };
    return { active: true, username: found.username, permission: found.principal.permission };
  }

  @Post('logout')
  @Auth(ANY_SCOPE, { jwtOnly: true })
  @HttpCode(204)
  @ApiOperation({
    summary: "End the caller's session: its JWT is refused from now on, on every instance; clears the cookie",
  })
  @ApiNoContentResponse()
  async logout(
    @CurrentPrincipal() principal: Principal,
    @AuditedBy() by: AuditContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const { customerId, sessionId } = principal;
    if (sessionId !== undefined) {
      const event = sessionsEnded(customerId, sessionId, by, 'logout');
      await this.sessions.end(customerId, sessionId, this.clock.now(), event);
    }
    void reply.clearCookie('token', this.cookieOptions());
  }

  @Post('introspect')
  @Auth('introspect:read')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Check a login JWT or an access key for another service (RFC 7662); needs introspect:read',
    description:
      'Active exactly when the credential would authenticate a request here (expiry, deletion, the ' +
      'customer\'s deletion and password changes, a roll\'s grace period). Otherwise only `{"active": false}`.',
  })
  @ApiOkResponse({ type: IntrospectionDto })
  @ApiErrors(ApiError.invalidArgument([{ field: 'token', message: 'token must be a string' }]))
  introspect(@Body() dto: IntrospectDto): Promise<IntrospectionDto> {
    return this.introspection.introspect(dto.token);
  }
}
