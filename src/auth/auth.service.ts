import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { ApiError } from '../common/api-error.js';
import { AppConfig } from '../config/app-config.js';
import { CustomersService } from '../customers/customers.service.js';
import { unknownUserHash, verifyPassword } from '../customers/password.js';
import type { LoginResponseDto } from './dto/login.dto.js';

@Injectable()
export class AuthService implements OnModuleInit {
  constructor(
    private readonly config: AppConfig,
    private readonly customers: CustomersService,
  ) {}

  async onModuleInit(): Promise<void> {
    await unknownUserHash(); // made now, so the first unknown-user login is not faster than the rest
  }

  /**
   * Wrong username and wrong password answer alike, in about the same time: an unknown username
   * still costs one argon2 verification, against a hash no password matches.
   */
  async login(username: string, password: string): Promise<LoginResponseDto> {
    const customer = await this.customers.findForLogin(username);
    const valid = await verifyPassword(customer?.passwordHash ?? (await unknownUserHash()), password);
    if (customer === null || !valid) throw ApiError.invalidCredentials();

    const { id, name, permission } = customer;
    const claims = {
      customer: { id, username: customer.username, name, permission },
      gen: customer.tokenGeneration,
    };
    const token = jwt.sign(claims, this.config.jwt.key, {
      algorithm: this.config.jwt.algorithm,
      // jsonwebtoken refuses an undefined keyid: HS256 tokens carry none.
      ...(this.config.jwt.kid === undefined ? {} : { keyid: this.config.jwt.kid }),
      expiresIn: this.config.jwt.expiresIn,
      issuer: this.config.jwt.issuer,
      subject: id,
      jwtid: randomUUID(),
    });
    return { username: customer.username, token };
  }
}
