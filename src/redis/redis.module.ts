import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RedisConnection } from './redis.connection.js';
import { Revocations } from './revocations.js';

/** The optional shared Redis (REDIS_URL): login counters, and revocations between instances. */
@Module({
  imports: [MetricsModule],
  providers: [RedisConnection, Revocations],
  exports: [RedisConnection, Revocations],
})
export class RedisModule {}
