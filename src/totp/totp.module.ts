import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { StepUpGuard } from './step-up.guard.js';
import { TotpController } from './totp.controller.js';
import { RecoveryCode, TotpCredential } from './totp.entity.js';
import { TotpRepository } from './totp.repository.js';
import { TotpService } from './totp.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([TotpCredential, RecoveryCode]),
    AuditModule,
    SessionsModule,
    RedisModule,
  ],
  controllers: [TotpController],
  providers: [TotpRepository, TotpService, StepUpGuard],
  exports: [TotpService, StepUpGuard],
})
export class TotpModule {}
