import { Global, Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { RedisConnection } from './redis.connection.js';

/** The optional shared Redis (REDIS_URL): login counters now, other cross-instance state later. */
@Global()
@Module({
  imports: [MetricsModule],
  providers: [RedisConnection],
  exports: [RedisConnection],
})
export class RedisModule {}
