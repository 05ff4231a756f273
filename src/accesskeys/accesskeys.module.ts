import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { AccessKey } from './access-key.entity.js';
import { AccessKeyRepository } from './access-key.repository.js';
import { AccessKeysController } from './accesskeys.controller.js';
import { AccessKeysService } from './accesskeys.service.js';
import { ExpirySweeper } from './expiry.sweeper.js';
import { KeyNoticesRepository } from './key-notices.repository.js';
import { KeyNetworksRepository } from './key-networks.repository.js';
import { LastUsedRecorder } from './last-used.recorder.js';
import { NewNetworkRecorder } from './new-network.recorder.js';

@Module({
  imports: [TypeOrmModule.forFeature([AccessKey]), RedisModule, AuditModule],
  controllers: [AccessKeysController],
  providers: [
    AccessKeyRepository,
    AccessKeysService,
    LastUsedRecorder,
    KeyNoticesRepository,
    ExpirySweeper,
    KeyNetworksRepository,
    NewNetworkRecorder,
  ],
  exports: [AccessKeyRepository, LastUsedRecorder, NewNetworkRecorder],
})
export class AccessKeysModule {}
