import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { CustomersModule } from '../customers/customers.module.js';
import { TotpModule } from '../totp/totp.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { AccessKey } from './access-key.entity.js';
import { AccessKeyRepository } from './access-key.repository.js';
import { AccessKeysController } from './accesskeys.controller.js';
import { AccessKeysService } from './accesskeys.service.js';
import { ExpirySweeper } from './expiry.sweeper.js';
import { KeyNoticesRepository } from './key-notices.repository.js';
import { KeyNetworksRepository } from './key-networks.repository.js';
import { LastUsedRecorder } from './last-used.recorder.js';
import { KeyPolicy } from './key-policy.entity.js';
import { CustomerKeyPolicyController, KeyPolicyController } from './key-policy.controller.js';
import { KeyPolicyRepository } from './key-policy.repository.js';
import { KeyPolicyService } from './key-policy.service.js';
import { NewNetworkRecorder } from './new-network.recorder.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([AccessKey, KeyPolicy]),
    RedisModule,
    AuditModule,
    CustomersModule,
    TotpModule,
  ],
  controllers: [AccessKeysController, KeyPolicyController, CustomerKeyPolicyController],
  providers: [
    AccessKeyRepository,
    AccessKeysService,
    LastUsedRecorder,
    KeyPolicyRepository,
    KeyPolicyService,
    KeyNoticesRepository,
    ExpirySweeper,
    KeyNetworksRepository,
    NewNetworkRecorder,
  ],
  exports: [AccessKeyRepository, LastUsedRecorder, KeyPolicyRepository, NewNetworkRecorder],
})
export class AccessKeysModule {}
