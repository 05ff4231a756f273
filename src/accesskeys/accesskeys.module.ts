import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessKey } from './access-key.entity.js';
import { AccessKeysController } from './accesskeys.controller.js';
import { AccessKeysService } from './accesskeys.service.js';
import { LastUsedRecorder } from './last-used.recorder.js';

@Module({
  imports: [TypeOrmModule.forFeature([AccessKey])],
  controllers: [AccessKeysController],
  providers: [AccessKeysService, LastUsedRecorder],
  exports: [AccessKeysService],
})
export class AccessKeysModule {}
