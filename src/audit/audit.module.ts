import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module.js';
import { AuditRetention } from './audit-retention.js';
import { AuditController } from './audit.controller.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';

@Module({
  imports: [MetricsModule],
  controllers: [AuditController],
  providers: [AuditRepository, AuditService, AuditRetention],
  exports: [AuditRepository],
})
export class AuditModule {}
