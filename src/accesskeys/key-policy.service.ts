import { Injectable } from '@nestjs/common';
import type { AuditContext } from '../audit/audit-event.js';
import { Clock } from '../common/clock.js';
import type { KeyPolicyDto, UpdateKeyPolicyDto } from './dto/key-policy.dto.js';
import { KeyPolicyRepository, type Policy, type PolicyChanges } from './key-policy.repository.js';

function toKeyPolicyDto(policy: Policy): KeyPolicyDto {
  return {
    max_lifetime: policy.maxLifetime,
    disable_unused_days: policy.disableUnusedDays,
    leak_action: policy.leakAction,
  };
}

/** A customer's key policy: read and changed by the customer, or by a super admin for it. */
@Injectable()
export class KeyPolicyService {
  constructor(
    private readonly policies: KeyPolicyRepository,
    private readonly clock: Clock,
  ) {}

  async get(customerId: string): Promise<KeyPolicyDto> {
    return toKeyPolicyDto(await this.policies.get(customerId));
  }

  async update(customerId: string, dto: UpdateKeyPolicyDto, by: AuditContext): Promise<KeyPolicyDto> {
    const fields = (['max_lifetime', 'disable_unused_days', 'leak_action'] as const).filter(
      (field) => dto[field] !== undefined,
    );
    // A body that names no field changes nothing: no write, no event.
    if (fields.length === 0) return this.get(customerId);
    const changes: PolicyChanges = {};
    if (dto.max_lifetime !== undefined) changes.maxLifetime = dto.max_lifetime;
    if (dto.disable_unused_days !== undefined) changes.disableUnusedDays = dto.disable_unused_days;
    if (dto.leak_action !== undefined) changes.leakAction = dto.leak_action;
    const policy = await this.policies.update(customerId, changes, this.clock.now(), {
      customerId,
      action: 'key_policy.updated',
      target: `customer:${customerId}`,
      ...by,
      data: {
        fields,
        max_lifetime: changes.maxLifetime ?? null,
        disable_unused_days: changes.disableUnusedDays ?? null,
        leak_action: changes.leakAction ?? null,
      },
    });
    return toKeyPolicyDto(policy);
  }
}
