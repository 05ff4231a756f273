import { Injectable } from '@nestjs/common';
import { ApiError } from '../common/api-error.js';
import { pageRequest } from '../common/pagination.js';
import type { Principal } from '../common/principal.js';
import { AppConfig } from '../config/app-config.js';
import { chainHash, type AuditEvent } from './audit-event.js';
import { AuditRepository } from './audit.repository.js';
import { checkpointSigned } from './checkpoint-signature.js';
import type { AuditEventDto, AuditPageDto, AuditVerificationDto } from './dto/audit-event.dto.js';
import type { AuditQueryDto } from './dto/audit-query.dto.js';

/** Events read per query while a chain is verified. */
const VERIFY_BATCH = 1000;

/** An event as GET /v1.0/audit (and a webhook's `data`) shows it. */
export function toAuditEventDto(event: AuditEvent): AuditEventDto {
  return {
    id: event.id,
    customer_id: event.customerId,
    sequence: event.sequence,
    tm_create: event.tmCreate.toISOString(),
    actor: {
      customer_id: event.actor.customerId,
      via: event.actor.via,
      ...(event.actor.keyId !== undefined && { key_id: event.actor.keyId }),
      ...(event.actor.keyPrefix !== undefined && { key_prefix: event.actor.keyPrefix }),
    },
    action: event.action,
    target: event.target,
    client_ip: event.origin.ip,
    user_agent: event.origin.userAgent,
    request_id: event.origin.requestId,
    data: JSON.parse(event.data) as Record<string, unknown>,
    hash: event.hash,
  };
}

/** Reading a customer's audit log, and proving it unedited. */
@Injectable()
export class AuditService {
  constructor(
    private readonly audit: AuditRepository,
    private readonly config: AppConfig,
  ) {}

  /** Events newest first, as the query narrows them. */
  async list(caller: Principal, query: AuditQueryDto): Promise<AuditPageDto> {
    const page = await this.audit.list(
      this.chainOf(caller, query.customer_id),
      {
        action: query.action,
        actor: query.actor,
        target: query.target,
        since: query.since === undefined ? undefined : new Date(query.since),
        until: query.until === undefined ? undefined : new Date(query.until),
      },
      pageRequest(query.page_size, query.page_token),
    );
    return { result: page.rows.map(toAuditEventDto), next_page_token: page.nextPageToken };
  }

  /**
   * Walks the chain from its first event, or from its signed checkpoint once pruned: each must have
   * the next sequence and the hash of the one before and itself, and the last must be the chain's
   * recorded head (so that events removed from the end show too). The first sequence that fails is
   * the answer (the checkpoint's own, when its signature does not hold).
   */
  async verify(caller: Principal, customerId?: string): Promise<AuditVerificationDto> {
    const chain = this.chainOf(caller, customerId);
    const head = await this.audit.head(chain);
    if (head === null) return { valid: true, events: 0 };
    let previous = '';
    let sequence = 0;
    const pruned = await this.audit.checkpoint(chain);
    if (pruned !== null) {
      const { checkpoint, signature } = pruned;
      if (!checkpointSigned(this.config.jwt, checkpoint, signature)) {
        return { valid: false, events: head.sequence, sequence: checkpoint.sequence };
      }
      previous = checkpoint.hash;
      sequence = checkpoint.sequence;
    }
    const since = pruned === null ? {} : { pruned_through: sequence };
    for (;;) {
      const events = await this.audit.chain(chain, sequence, head.sequence, VERIFY_BATCH);
      for (const event of events) {
        if (event.sequence !== sequence + 1 || event.hash !== chainHash(previous, event)) {
          return { valid: false, events: head.sequence, sequence: sequence + 1, ...since };
        }
        previous = event.hash;
        sequence = event.sequence;
      }
      if (events.length < VERIFY_BATCH) break;
    }
    if (sequence !== head.sequence) {
      return { valid: false, events: head.sequence, sequence: sequence + 1, ...since };
    }
    if (previous !== head.hash) return { valid: false, events: head.sequence, sequence, ...since };
    return { valid: true, events: head.sequence, ...since };
  }

  /** The caller's own customer's chain, or another's for a super admin (`customers:read`). */
  private chainOf(caller: Principal, customerId?: string): string {
    if (customerId === undefined || customerId === caller.customerId) return caller.customerId;
    if (!caller.rights.allows('customers:read')) throw ApiError.permissionDenied();
    return customerId;
  }
}
