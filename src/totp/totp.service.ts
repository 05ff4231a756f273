import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Secret, TOTP } from 'otpauth';
import type { AuditContext, AuditRecord } from '../audit/audit-event.js';
import { Clock } from '../common/clock.js';
import { SecretBox } from '../common/sealed-secret.js';
import type { Principal } from '../common/principal.js';
import { AppConfig } from '../config/app-config.js';
import { SessionRepository, sessionsEnded } from '../sessions/session.repository.js';
import { TotpCredential } from './totp.entity.js';
import {
  otpInvalid,
  stepUpRequired,
  totpAlreadyEnabled,
  totpNotEnabled,
  totpNotPending,
} from './totp.errors.js';
import { TotpRepository } from './totp.repository.js';

const PERIOD = 30;
/** A step-up, or a login with the factor, counts for this long. */
const STEP_UP_SECONDS = 600;
const RECOVERY_CODES = 10;
const SIX_DIGITS = /^\d{6}$/;

const totpOf = (secret: string, label = 'account') =>
  new TOTP({
    issuer: 'voipbin-auth',
    label,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD,
    secret: Secret.fromBase32(secret),
  });

/** Recovery codes: 80 random bits as 16 base32 characters in groups of four; stored as SHA-256. */
const newRecoveryCode = () => (new Secret({ size: 10 }).base32.toLowerCase().match(/.{4}/g) ?? []).join('-');
const hashRecoveryCode = (code: string) =>
  createHash('sha256')
    .update(code.toLowerCase().replace(/[^a-z2-7]/g, ''))
    .digest('hex');

/** The TOTP second factor (RFC 6238, SHA-1, 6 digits, 30 s, ±1 step) and the step-up rule. */
@Injectable()
export class TotpService {
  private readonly box: SecretBox;

  constructor(
    private readonly totp: TotpRepository,
    private readonly sessions: SessionRepository,
    private readonly clock: Clock,
    config: AppConfig,
  ) {
    this.box = new SecretBox(config.jwt, 'totp secret');
  }

  enabled(customerId: string): Promise<boolean> {
    return this.totp.enabled(customerId);
  }

  /** Starts (or restarts) a pending enrolment: the secret and its otpauth:// URI, shown once. */
  async enrol(customerId: string): Promise<{ secret: string; uri: string }> {
    const username = (await this.totp.username(customerId)) ?? 'account';
    const secret = new Secret({ size: 20 }).base32;
    const credential = Object.assign(new TotpCredential(), {
      customerId,
      secret: this.box.seal(customerId, secret),
      enabled: false,
      lastStep: 0,
      tmCreate: this.clock.now(),
    });
    if (!(await this.totp.startPending(credential))) throw totpAlreadyEnabled();
    return { secret, uri: totpOf(secret, username).toString() };
  }

  /**
   * A first code enables the pending secret and makes ten recovery codes. The customer's other
   * sessions end: they logged in without the factor. The caller's goes on (it just gave it).
   */
  async confirm(principal: Principal, otp: string, by: AuditContext): Promise<{ recovery_codes: string[] }> {
    const { customerId } = principal;
    const pending = await this.totp.find(customerId);
    if (pending === null || pending.enabled) throw totpNotPending();
    if (!(await this.checkCode(pending, otp))) throw otpInvalid();
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await this.totp.enable(customerId, codes.map(hashRecoveryCode), event(customerId, 'totp.enabled', by));
    await this.sessions.endAll(
      customerId,
      principal.sessionId ?? null,
      this.clock.now(),
      sessionsEnded(customerId, null, by, 'others_ended'),
    );
    return { recovery_codes: codes };
  }

  /** Disables the factor, given a current code or a recovery code (and a fresh login: step-up). */
  async disable(principal: Principal, otp: string, by: AuditContext): Promise<void> {
    await this.requireFresh(principal);
    if (!(await this.totp.enabled(principal.customerId))) throw totpNotEnabled();
    if (!(await this.verify(principal.customerId, otp, by))) throw otpInvalid();
    await this.totp.remove(principal.customerId, event(principal.customerId, 'totp.disabled', by));
  }

  /**
   * Whether `otp` is a code of the enabled secret not used before (the last used step is moved on
   * atomically), or an unused recovery code (used up now, with its event).
   */
  async verify(customerId: string, otp: string, by: AuditContext): Promise<boolean> {
    const credential = await this.totp.find(customerId);
    if (credential === null || !credential.enabled) return false;
    if (SIX_DIGITS.test(otp)) return this.checkCode(credential, otp);
    const hash = hashRecoveryCode(otp);
    return this.totp.useRecoveryCode(customerId, hash, this.clock.now(), {
      ...event(customerId, 'recovery_code.used', by),
    });
  }

  /** For an enrolled customer: a JWT whose factors were given under 10 minutes ago, else 401. */
  async requireFresh(principal: Principal): Promise<void> {
    if (!(await this.totp.enabled(principal.customerId))) return;
    const nowSeconds = this.clock.now().getTime() / 1000;
    const fresh =
      principal.via === 'jwt' &&
      principal.authTime !== undefined &&
      nowSeconds - principal.authTime < STEP_UP_SECONDS;
    if (!fresh) throw stepUpRequired();
  }

  private async checkCode(credential: TotpCredential, otp: string): Promise<boolean> {
    if (!SIX_DIGITS.test(otp)) return false;
    const now = this.clock.now().getTime();
    const secret = this.box.open(credential.customerId, credential.secret);
    if (secret === null) return false;
    const totp = totpOf(secret);
    // otpauth compares in constant time; the window is one step either side.
    const delta = totp.validate({ token: otp, timestamp: now, window: 1 });
    if (delta === null) return false;
    const step = Math.floor(now / 1000 / PERIOD) + delta;
    return this.totp.useStep(credential.customerId, step, credential.enabled);
  }
}

function event(
  customerId: string,
  action: 'totp.enabled' | 'totp.disabled' | 'recovery_code.used',
  by: AuditContext,
): AuditRecord {
  return { customerId, action, target: `customer:${customerId}`, ...by, data: {} };
}
