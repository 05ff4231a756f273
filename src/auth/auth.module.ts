import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { AccessKeysModule } from '../accesskeys/accesskeys.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { CustomersModule } from '../customers/customers.module.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { TotpModule } from '../totp/totp.module.js';
import { AccessKeyStrategy } from './access-key.strategy.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { AccessKeyStrategyGuard, AuthenticationGuard, JwtStrategyGuard } from './authentication.guard.js';
import { IntrospectionService } from './introspection.service.js';
import { JwksController } from './jwks.controller.js';
import { JwtStrategy } from './jwt.strategy.js';
import { JwtTokens } from './jwt-tokens.js';
import { LoginThrottle } from './login-throttle.js';
import { PublicRevocation, PublicRevokeController } from './public-revoke.js';
import { SecretScanning, SecretScanningController } from './secret-scanning.js';
import { RouteScopes } from './route-scopes.js';
import { ScopesController } from './scopes.controller.js';

@Module({
  imports: [
    DiscoveryModule,
    PassportModule,
    CustomersModule,
    AccessKeysModule,
    SessionsModule,
    TotpModule,
    AuditModule,
    MetricsModule,
    RedisModule,
  ],
  controllers: [
    AuthController,
    JwksController,
    ScopesController,
    PublicRevokeController,
    SecretScanningController,
  ],
  providers: [
    JwtTokens,
    AuthService,
    JwtStrategy,
    AccessKeyStrategy,
    JwtStrategyGuard,
    AccessKeyStrategyGuard,
    AuthenticationGuard,
    LoginThrottle,
    PublicRevocation,
    SecretScanning,
    IntrospectionService,
    RouteScopes,
  ],
  exports: [AuthenticationGuard],
})
export class AuthModule {}
