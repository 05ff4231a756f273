import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessKeysModule } from './accesskeys/accesskeys.module.js';
import { AuditModule } from './audit/audit.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { AuthModule } from './auth/auth.module.js';
import { AuthenticationGuard } from './auth/authentication.guard.js';
import { ClockModule } from './common/clock.js';
import { ErrorEnvelopeFilter } from './common/error-envelope.filter.js';
import { LoggingModule } from './common/logging.js';
import { createValidationPipe } from './common/validation.pipe.js';
import type { AppConfig } from './config/app-config.js';
import { ConfigModule } from './config/config.module.js';
import { CustomersModule } from './customers/customers.module.js';
import { typeOrmOptions } from './database/typeorm.options.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { SessionsModule } from './sessions/sessions.module.js';
import { TotpModule } from './totp/totp.module.js';

/** The application, on a configuration its entry point loaded (main.ts, cli.ts, the tests). */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule,
        LoggingModule.forRoot(config),
        // The migrator has opened the database already (migrator.ts): a failure now is not one that
        // ten more tries over 30 s would heal.
        TypeOrmModule.forRoot({ ...typeOrmOptions(config.database), toRetry: () => false }),
        AuthModule,
        CustomersModule,
        AccessKeysModule,
        SessionsModule,
        TotpModule,
        AuditModule,
        WebhooksModule,
        HealthModule,
        MetricsModule,
      ],
      providers: [
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: ErrorEnvelopeFilter },
        { provide: APP_GUARD, useExisting: AuthenticationGuard },
      ],
    };
  }
}
