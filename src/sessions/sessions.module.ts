import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { Session } from './session.entity.js';
import { SessionRepository } from './session.repository.js';
import { SessionsController } from './sessions.controller.js';

@Module({
  imports: [TypeOrmModule.forFeature([Session]), RedisModule, AuditModule],
  controllers: [SessionsController],
  providers: [SessionRepository],
  exports: [SessionRepository],
})
export class SessionsModule {}
