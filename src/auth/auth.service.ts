import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import {
  hashAccessKeyToken,
  isWellFormedAccessKeyToken,
  TOKEN_PREFIX_LENGTH,
} from '../accesskeys/access-key-token.js';
import { AccessKeyRepository, type KeyCredential } from '../accesskeys/access-key.repository.js';
import { LastUsedRecorder } from '../accesskeys/last-used.recorder.js';
import { NewNetworkRecorder } from '../accesskeys/new-network.recorder.js';
import {
  UNKNOWN_CUSTOMER,
  type AuditContext,
  type AuditData,
  type AuditRecord,
  type Origin,
} from '../audit/audit-event.js';
import { AuditRepository } from '../audit/audit.repository.js';
import { ApiError } from '../common/api-error.js';
import { Clock } from '../common/clock.js';
import { inNetworks } from '../common/networks.js';
import { Rights } from '../common/scopes.js';
import type { Customer } from '../customers/customer.entity.js';
import { CustomerRepository } from '../customers/customer.repository.js';
import { USERNAME } from '../customers/dto/create-customer.dto.js';
import { NO_PASSWORD, unknownUserHash, verifyPassword } from '../customers/password.js';
import { Session } from '../sessions/session.entity.js';
import { SessionRepository } from '../sessions/session.repository.js';
import { otpInvalid, otpRequired, totpNotEnabled } from '../totp/totp.errors.js';
import { TotpService } from '../totp/totp.service.js';
import type { Credential } from './credentials.js';
import type { LoginResponseDto } from './dto/login.dto.js';
import { JwtTokens, type VerifiedJwt } from './jwt-tokens.js';
import type { AuthFailure, Principal } from '../common/principal.js';

/** What a session keeps of a User-Agent. */
const USER_AGENT_LENGTH = 255;

/** A credential that authenticates a request now: who it stands for, and until when (seconds). */
export interface Authenticated {
  principal: Principal;
  username: string;
  exp: number;
}

/** Logging in, and what a credential stands for: the rules the strategies and introspection share. */
@Injectable()
export class AuthService implements OnModuleInit {
  constructor(
    private readonly customers: CustomerRepository,
    private readonly keys: AccessKeyRepository,
    private readonly lastUsed: LastUsedRecorder,
    private readonly sessions: SessionRepository,
    private readonly tokens: JwtTokens,
    private readonly clock: Clock,
    private readonly audit: AuditRepository,
    private readonly networks: NewNetworkRecorder,
    private readonly totp: TotpService,
  ) {}

  async onModuleInit(): Promise<void> {
    await unknownUserHash(); // made now, so the first unknown-user login is not faster than the rest
  }

  /**
   * Wrong username and wrong password answer alike, in about the same time: an unknown username, or
   * a customer that has no password yet, still costs one argon2 verification, against a hash no
   * password matches. A login starts a session, which its token names.
   */
  async login(username: string, password: string, origin: Origin, otp?: string): Promise<LoginResponseDto> {
    const found = await this.findByUsername(username);
    const customer = found?.passwordHash === NO_PASSWORD ? null : found;
    const valid = await verifyPassword(customer?.passwordHash ?? (await unknownUserHash()), password);
    if (customer === null || !valid) {
      // An unknown username costs an event too (on the chain of unknown usernames), so that both
      // failures still take about the same time.
      const reason =
        found === null ? 'unknown_username' : customer === null ? 'no_password' : 'wrong_password';
      await this.audit.record(loginEvent(found, 'login.failed', origin, { reason }));
      throw ApiError.invalidCredentials();
    }
    const amr = ['pwd'];
    // Only after the right password: the second factor's answers tell nothing to a guesser.
    if (await this.totp.enabled(customer.id)) {
      if (otp === undefined) throw otpRequired();
      const by = { actor: { customerId: customer.id, via: 'password' as const }, origin };
      if (!(await this.totp.verify(customer.id, otp, by))) {
        await this.audit.record(loginEvent(customer, 'login.failed', origin, { reason: 'otp' }));
        throw otpInvalid();
      }
      amr.push('otp');
    }
    const now = this.clock.now();
    const session = Object.assign(new Session(), {
      id: randomUUID(),
      customerId: customer.id,
      clientIp: origin.ip,
      userAgent: origin.userAgent.slice(0, USER_AGENT_LENGTH),
      tmCreate: now,
      tmLastSeen: now,
      tmExpire: new Date(now.getTime() + this.tokens.lifetimeMs),
      tmEnd: null,
    });
    // The session and its event, in one transaction.
    await this.sessions.insert(
      session,
      loginEvent(customer, 'login.succeeded', origin, { session: session.id }),
    );
    return {
      username: customer.username,
      token: this.tokens.sign(customer, session, { amr, authTime: now }),
    };
  }

  /**
   * A new JWT for the caller's session, with a fresh `auth_time`, given a code of the second factor
   * (or a recovery code). Only a login JWT with a session can step up; an access key cannot.
   */
  async stepUp(principal: Principal, otp: string, by: AuditContext): Promise<string> {
    const customer = await this.customers.findLive(principal.customerId);
    const session =
      principal.sessionId === undefined ? null : await this.sessions.findCredential(principal.sessionId);
    if (customer === null || session === null || session.customerId !== customer.id) {
      throw ApiError.invalidCredentials();
    }
    if (!(await this.totp.enabled(customer.id))) throw totpNotEnabled();
    if (!(await this.totp.verify(customer.id, otp, by))) {
      await this.audit.record(loginEvent(customer, 'login.failed', by.origin, { reason: 'otp' }));
      throw otpInvalid();
    }
    const now = this.clock.now();
    return this.tokens.sign(
      customer,
      { id: session.id, tmCreate: now },
      { amr: ['pwd', 'otp'], authTime: now },
    );
  }

  /** Records that logins for `username` from `origin` have begun to be refused for a while. */
  async recordThrottled(username: string, origin: Origin): Promise<void> {
    await this.audit.record(loginEvent(await this.findByUsername(username), 'login.throttled', origin));
  }

  /** The live customer a login names, with its password hash. */
  private findByUsername(username: string): Promise<Customer | null> {
    const canonical = username.toLowerCase();
    return USERNAME.test(canonical)
      ? this.customers.findWithPasswordHash({ username: canonical })
      : Promise.resolve(null);
  }

  /** What a credential stands for, with every check authentication applies. */
  async validate(credential: Pick<Credential, 'kind' | 'value'>): Promise<Authenticated | AuthFailure> {
    if (credential.kind === 'accesskey') return this.validateAccessKey(credential.value);
    const verified = this.tokens.verify(credential.value);
    return typeof verified === 'string' ? verified : this.validateJwt(verified);
  }

  /**
   * A JWT whose signature was verified: its customer alive, and its session not ended (a password
   * change, a logout or an end from elsewhere ends it). A token signed before sessions existed has
   * none: it must be of the customer's current token generation instead.
   */
  async validateJwt(claims: VerifiedJwt): Promise<Authenticated | AuthFailure> {
    let found: (Pick<Customer, 'id' | 'username' | 'permission'> & Pick<Principal, 'profile'>) | null;
    if (claims.sid === undefined) {
      const customer = await this.customers.findLive(claims.sub);
      found = customer !== null && claims.gen === customer.tokenGeneration ? customer : null;
      // Signed before sessions, so before any second factor: it never stands for an enrolled account.
      if (found !== null && (await this.totp.enabled(found.id))) return 'invalid';
    } else {
      // One lookup: the session and its customer together.
      const session = await this.sessions.findCredential(claims.sid);
      if (session === null || session.customerId !== claims.sub) return 'invalid';
      this.sessions.seen(session, this.clock.now());
      found = { ...session, id: session.customerId };
    }
    if (found === null) return 'invalid';
    const { id, permission, username, profile } = found;
    return {
      principal: {
        customerId: id,
        permission,
        via: 'jwt',
        rights: Rights.forPermission(permission),
        ...(claims.sid !== undefined && { sessionId: claims.sid }),
        ...(claims.authTime !== undefined && { authTime: claims.authTime }),
        ...(profile !== undefined && { profile }),
      },
      username,
      exp: claims.exp,
    };
  }

  /**
   * An access key: a malformed token or a bad checksum is refused before any lookup; the lookup is
   * by the token's hash, through a unique index; the expiries, and the networks the key may be used
   * from (when `clientIp` is given), are checked at every use. A key may do what its scopes allow
   * within what its customer may do now.
   */
  async validateAccessKey(token: string, clientIp?: string): Promise<Authenticated | AuthFailure> {
    if (!isWellFormedAccessKeyToken(token)) return 'invalid';
    const key = await this.keys.findCredential(hashAccessKeyToken(token));
    if (key === null) return 'invalid';
    // Refused as an expired key is (401 INVALID_CREDENTIALS), counted apart in /metrics.
    if (key.disabled) return 'disabled';
    const until = secretExpiry(key);
    const now = this.clock.now();
    if (until === null || until <= now) return 'expired';
    if (clientIp !== undefined && key.allowedCidrs.length > 0 && !inNetworks(clientIp, key.allowedCidrs)) {
      return 'invalid';
    }
    this.lastUsed.record(key, key.tmLastUsed, now);
    const prefix = token.slice(0, TOKEN_PREFIX_LENGTH);
    if (clientIp !== undefined)
      this.networks.record({ id: key.id, customerId: key.customerId, prefix }, clientIp, now);
    const rights = rightsOf(key);
    return {
      principal: {
        customerId: key.customerId,
        permission: key.permission,
        via: 'accesskey',
        // A quarantined key keeps its reads, as AWS's quarantine policy does; what it mints is no wider.
        rights: key.quarantined ? rights.readOnly() : rights,
        accessKeyId: key.id,
        accessKeyPrefix: prefix,
        ...(key.previous && { supersededSecret: true }),
        ...(key.quarantined && { quarantined: true }),
        key: {
          scopes: key.quarantined ? Rights.of(key.scopes).readOnly().toScopes() : key.scopes,
          allowedCidrs: key.allowedCidrs,
          expiresAt: until,
        },
        profile: key.profile,
      },
      username: key.username,
      exp: Math.floor(until.getTime() / 1000),
    };
  }
}

/**
 * A login's event: on the customer's chain, or on the chain of unknown usernames (the username
 * itself is never recorded: people type their password into it by mistake).
 */
function loginEvent(
  customer: Customer | null,
  action: 'login.succeeded' | 'login.failed' | 'login.throttled',
  origin: Origin,
  data: AuditData = {},
): AuditRecord {
  const succeeded = action === 'login.succeeded' && customer !== null;
  return {
    customerId: customer?.id ?? UNKNOWN_CUSTOMER,
    action,
    target: customer === null ? '' : `customer:${customer.id}`,
    actor: { customerId: succeeded ? customer.id : null, via: 'password' },
    origin,
    data,
  };
}

/** A key's rights, made once per cached key (a KeyCredential is never changed, only replaced). */
const keyRights = new WeakMap<KeyCredential, Rights>();

function rightsOf(key: KeyCredential): Rights {
  let rights = keyRights.get(key);
  if (rights === undefined) {
    rights = Rights.of(key.scopes).intersect(Rights.forPermission(key.permission));
    keyRights.set(key, rights);
  }
  return rights;
}

/** When the secret presented stops working: a secret of before a roll, when its grace ends. */
function secretExpiry(key: KeyCredential): Date | null {
  if (!key.previous) return key.tmExpire;
  if (key.tmPreviousExpire === null) return null;
  return key.tmPreviousExpire < key.tmExpire ? key.tmPreviousExpire : key.tmExpire;
}
