import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessKeysModule } from './accesskeys/accesskeys.module.js';
import { AuthModule } from './auth/auth.module.js';
import { AuthenticationGuard } from './auth/authentication.guard.js';
import { CredentialCacheModule } from './auth/credential-cache.js';
import { ClockModule } from './common/clock.js';
import { ErrorEnvelopeFilter } from './common/error-envelope.filter.js';
import { createValidationPipe } from './common/validation.pipe.js';
import { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { CustomersModule } from './customers/customers.module.js';
import { typeOrmOptions } from './database/typeorm.options.js';
import { HealthModule } from './health/health.module.js';
import { loggerParams, LoggingModule, ROOT_LOGGER } from './common/logging.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { RedisModule } from './redis/redis.module.js';
import { LoggerModule } from 'nestjs-pino';

@Module({
  imports: [
    ConfigModule,
    ClockModule,
    LoggingModule,
    LoggerModule.forRootAsync({ inject: [ROOT_LOGGER], useFactory: loggerParams }),
    CredentialCacheModule,
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => typeOrmOptions(config.database),
    }),
    RedisModule,
    AuthModule,
    CustomersModule,
    AccessKeysModule,
    HealthModule,
    MetricsModule,
  ],
  providers: [
    { provide: APP_PIPE, useFactory: createValidationPipe },
    { provide: APP_FILTER, useClass: ErrorEnvelopeFilter },
    { provide: APP_GUARD, useExisting: AuthenticationGuard },
  ],
})
export class AppModule {}
