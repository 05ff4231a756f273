import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { TotpModule } from '../totp/totp.module.js';
import { Customer } from './customer.entity.js';
import { CustomerRepository } from './customer.repository.js';
import { CustomerController, CustomersController } from './customers.controller.js';
import { CustomersService } from './customers.service.js';
import { SuperAdminSeed } from './super-admin.seed.js';

@Module({
  imports: [TypeOrmModule.forFeature([Customer]), RedisModule, AuditModule, TotpModule],
  controllers: [CustomerController, CustomersController],
  providers: [CustomerRepository, CustomersService, SuperAdminSeed],
  exports: [CustomerRepository, CustomersService],
})
export class CustomersModule {}
