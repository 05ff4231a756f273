import { randomUUID } from 'node:crypto';
import { TotpService } from '../totp/totp.service.js';
import { Injectable } from '@nestjs/common';
import type { AuditAction, AuditContext, AuditData, AuditRecord } from '../audit/audit-event.js';
import { ApiError, type ErrorDetail } from '../common/api-error.js';
import { Clock } from '../common/clock.js';
import { networkWithin, normalizeCidr } from '../common/networks.js';
import { pageRequest } from '../common/pagination.js';
import type { Principal } from '../common/principal.js';
import { DEFAULT_SCOPES, normalizeScopes, Rights } from '../common/scopes.js';
import { generateAccessKeyToken, hashAccessKeyToken, TOKEN_PREFIX_LENGTH } from './access-key-token.js';
import type { AccessKey } from './access-key.entity.js';
import { AccessKeyRepository, type KeyChanges, type ShownKey } from './access-key.repository.js';
import { KeyPolicyRepository } from './key-policy.repository.js';
import {
  accessKeyBroader,
  accessKeyNotDisabled,
  accessKeyNotFound,
  cidrsBeyondCaller,
  expireBeyondCaller,
  expireBeyondPolicy,
} from './accesskeys.errors.js';
import type { AccessKeyDto, AccessKeyPageDto } from './dto/access-key.dto.js';
import { DEFAULT_EXPIRE, type CreateAccessKeyDto } from './dto/create-access-key.dto.js';
import type { UpdateAccessKeyDto } from './dto/update-access-key.dto.js';

function toAccessKeyDto(key: ShownKey, token?: string): AccessKeyDto {
  return {
    id: key.id,
    customer_id: key.customerId,
    name: key.name,
    detail: key.detail,
    ...(token === undefined ? {} : { token }),
    token_prefix: key.tokenPrefix,
    tm_expire: key.tmExpire.toISOString(),
    tm_create: key.tmCreate.toISOString(),
    tm_update: key.tmUpdate?.toISOString() ?? null,
    tm_delete: key.tmDelete?.toISOString() ?? null,
    tm_last_used: key.tmLastUsed?.toISOString() ?? null,
    scopes: key.scopes,
    allowed_cidrs: key.allowedCidrs,
    quarantined: key.quarantined,
    leak_url: key.leakUrl,
    tm_leaked: key.tmLeaked?.toISOString() ?? null,
    tm_disabled: key.tmDisabled?.toISOString() ?? null,
  };
}

/** The event that records an action on one of the caller's keys. */
function keyEvent(
  caller: Principal,
  by: AuditContext,
  action: AuditAction,
  id: string,
  data: AuditData = {},
): AuditRecord {
  return { customerId: caller.customerId, action, target: `accesskey:${id}`, ...by, data };
}

/**
 * The rules of a customer's keys; every method acts for one caller, on its customer's keys only.
 * Keys only ever narrow: a caller makes keys that may do no more than itself (its scopes, and for a
 * key its expiry and networks too), and a key manages no key broader than itself.
 */
@Injectable()
export class AccessKeysService {
  constructor(
    private readonly keys: AccessKeyRepository,
    private readonly policies: KeyPolicyRepository,
    private readonly clock: Clock,
    private readonly totp: TotpService,
  ) {}

  async create(caller: Principal, dto: CreateAccessKeyDto, by: AuditContext): Promise<AccessKeyDto> {
    const now = this.clock.now();
    const limits = caller.key;
    const scopes = normalizeScopes(dto.scopes ?? limits?.scopes ?? DEFAULT_SCOPES);
    const missing = Rights.of(scopes).beyond(caller.rights);
    if (missing.length > 0) throw ApiError.insufficientScope(missing, 'scopes');
    // A key that can write is what a thief wants: for an enrolled customer, only a fresh login mints one.
    if (scopes.some((scope) => scope.endsWith(':write'))) await this.totp.requireFresh(caller);
    const allowedCidrs = [...new Set((dto.allowed_cidrs ?? limits?.allowedCidrs ?? []).map(normalizeCidr))];
    if (limits && limits.allowedCidrs.length > 0) {
      const within =
        allowedCidrs.length > 0 && allowedCidrs.every((c) => networkWithin(c, limits.allowedCidrs));
      if (!within) throw cidrsBeyondCaller(limits.allowedCidrs);
    }
    // The policy caps what is asked; a key asked for without an expiry gets the longest allowed.
    const { maxLifetime } = await this.policies.get(caller.customerId);
    if (maxLifetime !== null && dto.expire !== undefined && dto.expire > maxLifetime)
      throw expireBeyondPolicy(maxLifetime);
    const lifetime = Math.min(dto.expire ?? DEFAULT_EXPIRE, maxLifetime ?? Infinity);
    let tmExpire = new Date(now.getTime() + lifetime * 1000);
    if (limits && tmExpire > limits.expiresAt) {
      if (dto.expire !== undefined) throw expireBeyondCaller(limits.expiresAt);
      tmExpire = limits.expiresAt;
    }
    const token = generateAccessKeyToken();
    const key: AccessKey = {
      id: randomUUID(),
      customerId: caller.customerId,
      name: dto.name ?? '',
      detail: dto.detail ?? '',
      tokenHash: hashAccessKeyToken(token),
      tokenPrefix: token.slice(0, TOKEN_PREFIX_LENGTH),
      tmExpire,
      tmCreate: now,
      tmUpdate: null,
      tmDelete: null,
      tmLastUsed: null,
      previousTokenHash: null,
      tmPreviousExpire: null,
      scopes,
      allowedCidrs,
      quarantined: false,
      leakUrl: null,
      tmLeaked: null,
      tmDisabled: null,
    };
    await this.keys.insert(
      key,
      keyEvent(caller, by, 'accesskey.created', key.id, {
        name: key.name,
        token_prefix: key.tokenPrefix,
        scopes: key.scopes,
        allowed_cidrs: key.allowedCidrs,
        tm_expire: key.tmExpire.toISOString(),
      }),
    );
    return toAccessKeyDto(key, token);
  }

  /** Live keys, newest first. */
  async list(customerId: string, pageSize?: number, pageToken?: string): Promise<AccessKeyPageDto> {
    const page = await this.keys.list(customerId, pageRequest(pageSize, pageToken));
    return { result: page.rows.map((key) => toAccessKeyDto(key)), next_page_token: page.nextPageToken };
  }

  async get(customerId: string, id: string): Promise<AccessKeyDto> {
    const key = await this.keys.findLive(customerId, id);
    if (key === null) throw accessKeyNotFound();
    return toAccessKeyDto(key);
  }

  /** Answers the key as this change left it, whatever other writers do at the same time. */
  async update(
    caller: Principal,
    id: string,
    dto: UpdateAccessKeyDto,
    by: AuditContext,
  ): Promise<AccessKeyDto> {
    await this.manageable(caller, id);
    const fields = (['name', 'detail'] as const).filter((field) => dto[field] !== undefined);
    // A body that names no field changes nothing: no write, no event.
    if (fields.length === 0) return this.get(caller.customerId, id);
    const changes: KeyChanges = { tmUpdate: this.clock.now() };
    if (dto.name !== undefined) changes.name = dto.name;
    if (dto.detail !== undefined) changes.detail = dto.detail;
    const event = keyEvent(caller, by, 'accesskey.updated', id, { fields });
    const updated = await this.keys.update(caller.customerId, id, changes, event);
    if (updated === null) throw accessKeyNotFound();
    return toAccessKeyDto(updated);
  }

  /** Soft delete: the row stays, with `tm_delete` set; the key stops working at once. */
  async remove(caller: Principal, id: string, by: AuditContext): Promise<AccessKeyDto> {
    await this.manageable(caller, id);
    const event = keyEvent(caller, by, 'accesskey.deleted', id);
    const deleted = await this.keys.softDelete(caller.customerId, id, this.clock.now(), event);
    if (deleted === null) throw accessKeyNotFound();
    return toAccessKeyDto(deleted);
  }

  /**
   * A new secret for the same key (same id, name and expiry). The old secret keeps working for
   * `grace` seconds, then dies; a secret from an earlier roll dies at once. A key deleted before
   * the roll is not found; one deleted after it was rolled (and answered as live).
   */
  async roll(caller: Principal, id: string, grace: number, by: AuditContext): Promise<AccessKeyDto> {
    await this.manageable(caller, id);
    const token = generateAccessKeyToken();
    const now = this.clock.now();
    const tokenPrefix = token.slice(0, TOKEN_PREFIX_LENGTH);
    const rolled = await this.keys.roll(
      caller.customerId,
      id,
      {
        tokenHash: hashAccessKeyToken(token),
        tokenPrefix,
        tmPreviousExpire: grace > 0 ? new Date(now.getTime() + grace * 1000) : null,
        tmUpdate: now,
      },
      keyEvent(caller, by, 'accesskey.rolled', id, { token_prefix: tokenPrefix, grace }),
    );
    if (rolled === null) throw accessKeyNotFound();
    return toAccessKeyDto(rolled, token);
  }

  /**
   * Enables a key the sweep disabled. Its enabling counts as a use, so the next sweep leaves it
   * alone for the policy's days. A live key that is not disabled: 409.
   */
  async enable(caller: Principal, id: string, by: AuditContext): Promise<AccessKeyDto> {
    await this.manageable(caller, id);
    const event = keyEvent(caller, by, 'accesskey.enabled', id);
    const enabled = await this.keys.enable(caller.customerId, id, this.clock.now(), event);
    if (enabled !== null) return toAccessKeyDto(enabled);
    if ((await this.keys.findLive(caller.customerId, id)) === null) throw accessKeyNotFound();
    throw accessKeyNotDisabled();
  }

  /**
   * A key the caller may manage: any of its customer's for a login JWT; for an access key, one that
   * may do no more, live no longer and reach no more networks than itself. A key's scopes, expiry
   * and networks never change, so the check holds for the write that follows.
   */
  private async manageable(caller: Principal, id: string): Promise<void> {
    if (caller.key === undefined) return;
    const key = await this.keys.findLive(caller.customerId, id);
    if (key === null) throw accessKeyNotFound();
    const broader: ErrorDetail[] = Rights.of(key.scopes)
      .beyond(caller.rights)
      .map((scope) => ({ field: 'scopes', message: scope }));
    if (key.tmExpire > caller.key.expiresAt) {
      broader.push({
        field: 'tm_expire',
        message: `later than the calling key's (${caller.key.expiresAt.toISOString()})`,
      });
    }
    const networks = caller.key.allowedCidrs;
    if (
      networks.length > 0 &&
      (key.allowedCidrs.length === 0 || !key.allowedCidrs.every((c) => networkWithin(c, networks)))
    ) {
      broader.push({ field: 'allowed_cidrs', message: "beyond the calling key's networks" });
    }
    if (broader.length > 0) throw accessKeyBroader(broader);
  }
}
