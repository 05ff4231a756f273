import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { NO_ORIGIN } from '../audit/audit-event.js';
import { ApiError } from '../common/api-error.js';
import { AppConfig } from '../config/app-config.js';
import { Permission } from './customer.entity.js';
import { CustomerRepository } from './customer.repository.js';
import { CustomersService } from './customers.service.js';
import { generatePassword } from './password.js';

/** On the first start of an empty database, the super admin (ADMIN_USERNAME, ADMIN_PASSWORD). */
@Injectable()
export class SuperAdminSeed implements OnApplicationBootstrap {
  private readonly logger = new Logger('Customers');

  constructor(
    private readonly config: AppConfig,
    private readonly customers: CustomersService,
    private readonly repository: CustomerRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (await this.repository.any()) return;
    const { username } = this.config.admin;
    const password = this.config.admin.password ?? generatePassword();
    try {
      await this.customers.create(
        {
          username,
          password,
          name: 'Administrator',
          detail: 'created at first start',
          permission: Permission.ProjectSuperAdmin | Permission.CustomerAdmin,
        },
        { actor: { customerId: null, via: 'system' }, origin: NO_ORIGIN },
      );
    } catch (error) {
      // Another instance starting on the same database created it first.
      if (error instanceof ApiError && error.reason === 'USERNAME_TAKEN') return;
      throw error;
    }
    if (this.config.admin.password !== undefined) {
      this.logger.log(`Created the super admin "${username}" with the password in ADMIN_PASSWORD`);
    } else {
      // Printed this once only: it is in no file and cannot be shown again.
      this.logger.warn(
        `Created the super admin. Username: ${username}  Password: ${password}  (shown once; keep it now)`,
      );
    }
  }
}
