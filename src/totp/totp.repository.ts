import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import type { AuditRecord } from '../audit/audit-event.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { transaction } from '../common/transaction.js';
import { Customer } from '../customers/customer.entity.js';
import { Revocations } from '../redis/revocations.js';
import { RecoveryCode, TotpCredential } from './totp.entity.js';

/** Every query of TOTP secrets and recovery codes; each takes the customer's id. */
@Injectable()
export class TotpRepository {
  constructor(
    @InjectRepository(TotpCredential) private readonly credentials: Repository<TotpCredential>,
    private readonly audit: AuditRepository,
    private readonly revocations: Revocations,
  ) {}

  find(customerId: string): Promise<TotpCredential | null> {
    return this.credentials.findOneBy({ customerId });
  }

  /** The customer's username, the label an authenticator app shows. */
  async username(customerId: string): Promise<string | null> {
    const customer = await this.credentials.manager.findOneBy(Customer, { id: customerId });
    return customer?.username ?? null;
  }

  /** Whether the customer has an enabled second factor. */
  async enabled(customerId: string): Promise<boolean> {
    return (await this.credentials.countBy({ customerId, enabled: true })) > 0;
  }

  /** A pending enrolment, replacing a pending one; never an enabled one. */
  async startPending(credential: TotpCredential): Promise<boolean> {
    return transaction(this.credentials.manager.dataSource, async (m) => {
      await m.delete(TotpCredential, { customerId: credential.customerId, enabled: false });
      const existing = await m.findOneBy(TotpCredential, { customerId: credential.customerId });
      if (existing !== null) return false;
      await m.insert(TotpCredential, credential);
      return true;
    });
  }

  /**
   * Accepts the code of `step` once: the row moves to it only if no code of this step or a later
   * one was accepted before (one atomic UPDATE, so two requests with the same code cannot both pass).
   */
  async useStep(customerId: string, step: number, enabled: boolean): Promise<boolean> {
    return transaction(this.credentials.manager.dataSource, async (m) => {
      const result = await m
        .createQueryBuilder()
        .update(TotpCredential)
        .set({ lastStep: step })
        .where('customer_id = :customerId AND last_step < :step AND enabled = :enabled', {
          customerId,
          step,
          enabled,
        })
        .execute();
      return (result.affected ?? 0) === 1;
    });
  }

  /** Enables the pending secret with its recovery codes (an earlier set dies), and its event. */
  async enable(customerId: string, codeHashes: string[], event: AuditRecord): Promise<void> {
    await transaction(this.credentials.manager.dataSource, async (m) => {
      await m.update(TotpCredential, { customerId }, { enabled: true });
      await m.delete(RecoveryCode, { customerId });
      await m.insert(
        RecoveryCode,
        codeHashes.map((codeHash) => ({ codeHash, customerId, tmUsed: null })),
      );
      await this.audit.append(m, event);
    });
    // A cached profile (GET /v1.0/customer) says whether the factor is on: on every instance.
    await this.revocations.publish({ kind: 'customer', id: customerId });
  }

  /** Uses a recovery code once (an atomic UPDATE), with its event. */
  async useRecoveryCode(
    customerId: string,
    codeHash: string,
    at: Date,
    event: AuditRecord,
  ): Promise<boolean> {
    return transaction(this.credentials.manager.dataSource, async (m) => {
      const result = await m
        .createQueryBuilder()
        .update(RecoveryCode)
        .set({ tmUsed: at })
        .where({ customerId, codeHash, tmUsed: IsNull() })
        .execute();
      if ((result.affected ?? 0) !== 1) return false;
      await this.audit.append(m, event);
      return true;
    });
  }

  /** Removes the second factor and its recovery codes, with its event. */
  async remove(customerId: string, event: AuditRecord): Promise<void> {
    await transaction(this.credentials.manager.dataSource, async (m) => {
      await m.delete(RecoveryCode, { customerId });
      await m.delete(TotpCredential, { customerId });
      await this.audit.append(m, event);
    });
    await this.revocations.publish({ kind: 'customer', id: customerId });
  }
}
