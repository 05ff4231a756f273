import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { pageRequest } from '../common/pagination.js';
import { generateAccessKeyToken, hashAccessKeyToken, TOKEN_PREFIX_LENGTH } from './access-key-token.js';
import type { AccessKey } from './access-key.entity.js';
import { AccessKeyRepository, type KeyChanges, type ShownKey } from './access-key.repository.js';
import { accessKeyNotFound } from './accesskeys.errors.js';
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
  };
}

/** The rules of a customer's keys; every method acts for one customer, on that customer's keys only. */
@Injectable()
export class AccessKeysService {
  constructor(
    private readonly keys: AccessKeyRepository,
    private readonly clock: Clock,
  ) {}

  async create(customerId: string, dto: CreateAccessKeyDto): Promise<AccessKeyDto> {
    const token = generateAccessKeyToken();
    const now = this.clock.now();
    const key: AccessKey = {
      id: randomUUID(),
      customerId,
      name: dto.name ?? '',
      detail: dto.detail ?? '',
      tokenHash: hashAccessKeyToken(token),
      tokenPrefix: token.slice(0, TOKEN_PREFIX_LENGTH),
      tmExpire: new Date(now.getTime() + (dto.expire ?? DEFAULT_EXPIRE) * 1000),
      tmCreate: now,
      tmUpdate: null,
      tmDelete: null,
      tmLastUsed: null,
      previousTokenHash: null,
      tmPreviousExpire: null,
    };
    await this.keys.insert(key);
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
  async update(customerId: string, id: string, dto: UpdateAccessKeyDto): Promise<AccessKeyDto> {
    const changes: KeyChanges = { tmUpdate: this.clock.now() };
    if (dto.name !== undefined) changes.name = dto.name;
    if (dto.detail !== undefined) changes.detail = dto.detail;
    const updated = await this.keys.update(customerId, id, changes);
    if (updated === null) throw accessKeyNotFound();
    return toAccessKeyDto(updated);
  }

  /** Soft delete: the row stays, with `tm_delete` set; the key stops working at once. */
  async remove(customerId: string, id: string): Promise<AccessKeyDto> {
    const deleted = await this.keys.softDelete(customerId, id, this.clock.now());
    if (deleted === null) throw accessKeyNotFound();
    return toAccessKeyDto(deleted);
  }

  /**
   * A new secret for the same key (same id, name and expiry). The old secret keeps working for
   * `grace` seconds, then dies; a secret from an earlier roll dies at once. A key deleted before
   * the roll is not found; one deleted after it was rolled (and answered as live).
   */
  async roll(customerId: string, id: string, grace: number): Promise<AccessKeyDto> {
    const token = generateAccessKeyToken();
    const now = this.clock.now();
    const rolled = await this.keys.roll(customerId, id, {
      tokenHash: hashAccessKeyToken(token),
      tokenPrefix: token.slice(0, TOKEN_PREFIX_LENGTH),
      tmPreviousExpire: grace > 0 ? new Date(now.getTime() + grace * 1000) : null,
      tmUpdate: now,
    });
    if (rolled === null) throw accessKeyNotFound();
    return toAccessKeyDto(rolled, token);
  }
}
