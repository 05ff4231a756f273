import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { TotpModule } from '../totp/totp.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { AccessKey } from './access-key.entity.js';
import { AccessKeyRepository } from './access-key.repository.js';
import { AccessKeysController } from './accesskeys.controller.js';
import { AccessKeysService } from './accesskeys.service.js';
import { LastUsedRecorder } from './last-used.recorder.js';

@Module({
  imports: [TypeOrmModule.forFeature([AccessKey]), RedisModule, AuditModule, TotpModule],
  controllers: [AccessKeysController],
  providers: [AccessKeyRepository, AccessKeysService, LastUsedRecorder],
  exports: [AccessKeyRepository, LastUsedRecorder],
})
export class AccessKeysModule {}
