import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
    const given = this.config.admin.password;
    const password = given ?? generatePassword();
    // A production log goes to a collector: there the password goes to a file only its owner
    // reads, written before the super admin exists so that no password is ever lost.
    const file = given === undefined && this.config.production ? this.writePasswordFile(password) : null;
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
      if (file !== null) rmSync(file, { force: true });
      // Another instance starting on the same database created it first.
      if (error instanceof ApiError && error.reason === 'USERNAME_TAKEN') return;
      throw error;
    }
    if (given !== undefined) {
      this.logger.log(`Created the super admin "${username}" with the password in ADMIN_PASSWORD`);
    } else if (file !== null) {
      this.logger.warn(
        `Created the super admin "${username}"; its password is in ${file} (readable by this user only): ` +
          'log in, change it, then delete the file',
      );
    } else {
      // Printed this once only: it is in no file and cannot be shown again.
      this.logger.warn(
        `Created the super admin. Username: ${username}  Password: ${password}  (shown once; keep it now)`,
      );
    }
  }

  private writePasswordFile(password: string): string {
    const file = join(this.config.dataFolder, 'admin-password');
    mkdirSync(this.config.dataFolder, { recursive: true });
    rmSync(file, { force: true }); // a file left earlier keeps its mode when written over
    writeFileSync(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
    return file;
  }
}
