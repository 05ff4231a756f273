import 'reflect-metadata';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { plainToInstance, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min, validateSync } from 'class-validator';

/** The environment as API.md documents it; each rule names its variable when it fails. */
export class EnvironmentVariables {
  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV?: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 3000;

  @Matches(/^(sqlite:.+|mysql:\/\/.+|mariadb:\/\/.+)$/, {
    message: 'DATABASE_URL must be sqlite:PATH, sqlite::memory:, mysql://... or mariadb://...',
  })
  DATABASE_URL = 'sqlite:data/voipbin.sqlite';

  @IsOptional()
  @IsString()
  JWT_SECRET?: string;

  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(31536000)
  JWT_EXPIRES_IN = 604800;

  /** ES256 instead of HS256: a PEM EC P-256 private key (checked in loadConfig). */
  @IsOptional()
  @IsString()
  JWT_PRIVATE_KEY?: string;

  /** ES256 public keys (PEM blocks, one after another) that still verify: the keys rotated out. */
  @IsOptional()
  @IsString()
  JWT_PREVIOUS_PUBLIC_KEYS?: string;

  @Matches(/^[A-Za-z0-9._@+-]{1,255}$/, {
    message: 'ADMIN_USERNAME must be 1..255 of the characters A-Z a-z 0-9 . _ @ + -',
  })
  ADMIN_USERNAME = 'admin';

  @IsOptional()
  @Length(8, 128)
  ADMIN_PASSWORD?: string;

  @IsIn(['true', 'false'])
  COOKIE_SECURE = 'true';

  @Type(() => Number)
  @IsInt()
  @Min(1)
  LOGIN_LIMIT_PER_IP = 30;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  LOGIN_LIMIT_PER_USERNAME = 10;

  /**
   * Seconds an access key or customer looked up for authentication is reused; 0 (the default) turns
   * it off, so that a revocation from anywhere (another instance, the admin command) is seen at once.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(300)
  AUTH_CACHE_TTL = 0;

  @IsOptional()
  @Matches(/^(true|false|\d+|[0-9a-fA-F.:/]+(,[0-9a-fA-F.:/]+)*)$/, {
    message: 'TRUST_PROXY must be true, false, a hop count, or a comma-separated list of addresses or CIDRs',
  })
  TRUST_PROXY?: string;

  @IsOptional()
  @Matches(/^rediss?:\/\/.+$/, {
    message: 'REDIS_URL must be redis://[user:password@]host:port[/db] or rediss://...',
  })
  REDIS_URL?: string;

  @Matches(/^[A-Za-z0-9:_.-]{1,64}$/, {
    message: 'REDIS_KEY_PREFIX must be 1..64 of the characters A-Z a-z 0-9 : _ . -',
  })
  REDIS_KEY_PREFIX = 'voipbin:';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';
}

/** Every variable the service reads; README.md and .env.example document each (checked by a spec). */
export const VARIABLES = [
  'NODE_ENV',
  'PORT',
  'DATABASE_URL',
  'JWT_SECRET',
  'JWT_EXPIRES_IN',
  'JWT_PRIVATE_KEY',
  'JWT_PREVIOUS_PUBLIC_KEYS',
  'ADMIN_USERNAME',
  'ADMIN_PASSWORD',
  'COOKIE_SECURE',
  'LOGIN_LIMIT_PER_IP',
  'LOGIN_LIMIT_PER_USERNAME',
  'TRUST_PROXY',
  'REDIS_URL',
  'REDIS_KEY_PREFIX',
  'LOG_LEVEL',
  'AUTH_CACHE_TTL',
] as const satisfies readonly (keyof EnvironmentVariables)[];

export interface JwtPublicKey {
  /** The key's RFC 7638 thumbprint: every instance derives the same kid from the same key. */
  kid: string;
  key: KeyObject;
}

export interface JwtConfig {
  /** The only algorithm verification accepts: ES256 when JWT_PRIVATE_KEY is set, HS256 otherwise. */
  algorithm: 'HS256' | 'ES256';
  /** What signs: the HS256 secret, or the ES256 private key. */
  key: KeyObject;
  /** ES256 only: the `kid` of `key`, put in every JWT header. */
  kid?: string;
  /** ES256 only: the keys that verify (the current one first), published in the JWKS. Empty under HS256. */
  publicKeys: JwtPublicKey[];
  expiresIn: number;
  issuer: string;
}

export type DatabaseConfig = { type: 'sqlite'; path: string } | { type: 'mysql' | 'mariadb'; url: string };

/** The validated, typed configuration every module reads. */
export class AppConfig {
  readonly production: boolean;
  readonly port: number;
  readonly database: DatabaseConfig;
  readonly jwt: JwtConfig;
  readonly admin: { username: string; password?: string };
  readonly cookieSecure: boolean;
  /** Login attempts allowed per minute. */
  readonly loginLimits: { perIp: number; perUsername: number };
  /** Fastify's `trustProxy`: whether and whom to believe about X-Forwarded-For. */
  readonly trustProxy: boolean | number | string;
  /** Shared login counters across instances; null: this instance's own counters only. */
  readonly redis: { url: string; keyPrefix: string } | null;
  readonly logLevel: string;
  /** Milliseconds a credential lookup is reused on this instance (0: every request asks the database). */
  readonly authCacheTtlMs: number;

  constructor(fields: AppConfig) {
    Object.assign(this, fields);
  }
}

export const JWT_ISSUER = 'voipbin-auth';
const MIN_SECRET_BYTES = 32;
const DATA_DIR = 'data';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}

export function parseDatabaseUrl(url: string): DatabaseConfig {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    return { type: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
  }
  if (url.startsWith('mariadb://')) {
    return { type: 'mariadb', url: `mysql://${url.slice('mariadb://'.length)}` };
  }
  return { type: 'mysql', url };
}

/**
 * A development convenience: without JWT_SECRET, one is generated once and kept (mode 0600) in
 * the data folder (the SQLite file's, else ./data), so tokens survive a restart. Production never
 * gets here.
 */
function developmentSecret(database: DatabaseConfig): string {
  const folder =
    database.type === 'sqlite' && database.path !== ':memory:' ? dirname(database.path) : resolve(DATA_DIR);
  const file = join(folder, 'jwt-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(folder, { recursive: true });
    const secret = randomBytes(48).toString('base64url');
    try {
      writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
      return secret;
    } catch {
      // Another process wrote it first: use theirs.
      return readFileSync(file, 'utf8').trim();
    }
  }
}

const PEM_BLOCK = /-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g;

/** PEM blocks from a variable; `\n` written literally (as .env files and CI secrets often do) counts as a newline. */
function pemBlocks(value: string): string[] {
  return value.replace(/\\n/g, '\n').match(PEM_BLOCK) ?? [];
}

const isP256 = (key: KeyObject) =>
  key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';

/** The RFC 7638 JWK thumbprint of an EC public key. */
export function jwkThumbprint(key: KeyObject): string {
  const { crv, kty, x, y } = key.export({ format: 'jwk' });
  return createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url');
}

/**
 * ES256 keys, or the problems with them. The messages name the variable but never quote it: it holds
 * a private key.
 */
function es256Keys(
  privatePem: string,
  previousPems: string | undefined,
  problems: string[],
): { key: KeyObject; publicKeys: JwtPublicKey[] } | undefined {
  let key: KeyObject | undefined;
  try {
    const blocks = pemBlocks(privatePem);
    key = blocks.length === 1 ? createPrivateKey(blocks[0]) : undefined;
  } catch {
    key = undefined;
  }
  if (key === undefined || !isP256(key)) {
    problems.push('JWT_PRIVATE_KEY must be one PEM EC P-256 (prime256v1) private key');
    key = undefined;
  }
  const previous: KeyObject[] = [];
  if (previousPems !== undefined) {
    const blocks = pemBlocks(previousPems);
    try {
      previous.push(...blocks.map((pem) => createPublicKey(pem)));
    } catch {
      previous.length = 0;
    }
    if (blocks.length === 0 || previous.length !== blocks.length || !previous.every(isP256)) {
      problems.push('JWT_PREVIOUS_PUBLIC_KEYS must be one or more PEM EC P-256 (prime256v1) public keys');
    }
  }
  if (key === undefined || problems.length > 0) return undefined;
  const publicKeys = [createPublicKey(key), ...previous].map((k) => ({ kid: jwkThumbprint(k), key: k }));
  // The same key listed twice would publish one kid twice.
  const unique = publicKeys.filter((k, i) => publicKeys.findIndex((o) => o.kid === k.kid) === i);
  return { key, publicKeys: unique };
}

/** Validates the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // An empty variable counts as unset, so `PORT=` falls back to the default.
  const present = Object.fromEntries(
    VARIABLES.filter((name) => env[name] !== undefined && env[name] !== '').map((name) => [name, env[name]]),
  );
  const vars = plainToInstance(EnvironmentVariables, present);
  const problems = validateSync(vars).flatMap((e) => Object.values(e.constraints ?? {}));
  const production = vars.NODE_ENV === 'production';

  if (vars.JWT_SECRET !== undefined && Buffer.byteLength(vars.JWT_SECRET) < MIN_SECRET_BYTES) {
    problems.push(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes`);
  }
  if (production && vars.JWT_SECRET === undefined && vars.JWT_PRIVATE_KEY === undefined) {
    problems.push('JWT_SECRET (or JWT_PRIVATE_KEY for ES256) is required when NODE_ENV=production');
  }
  if (vars.JWT_PREVIOUS_PUBLIC_KEYS !== undefined && vars.JWT_PRIVATE_KEY === undefined) {
    problems.push('JWT_PREVIOUS_PUBLIC_KEYS needs JWT_PRIVATE_KEY (they are ES256 keys)');
  }
  const es256 =
    vars.JWT_PRIVATE_KEY === undefined
      ? undefined
      : es256Keys(vars.JWT_PRIVATE_KEY, vars.JWT_PREVIOUS_PUBLIC_KEYS, problems);
  if (production && /^sqlite::memory:$/.test(vars.DATABASE_URL)) {
    problems.push('DATABASE_URL must not be sqlite::memory: when NODE_ENV=production (data would be lost)');
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }

  const database = parseDatabaseUrl(vars.DATABASE_URL);
  return new AppConfig({
    production,
    port: vars.PORT,
    database,
    jwt: {
      ...(es256 === undefined
        ? {
            algorithm: 'HS256' as const,
            key: createSecretKey(Buffer.from(vars.JWT_SECRET ?? developmentSecret(database))),
            publicKeys: [],
          }
        : {
            algorithm: 'ES256' as const,
            key: es256.key,
            kid: es256.publicKeys[0].kid,
            publicKeys: es256.publicKeys,
          }),
      expiresIn: vars.JWT_EXPIRES_IN,
      issuer: JWT_ISSUER,
    },
    admin: { username: vars.ADMIN_USERNAME.toLowerCase(), password: vars.ADMIN_PASSWORD },
    cookieSecure: vars.COOKIE_SECURE === 'true',
    loginLimits: { perIp: vars.LOGIN_LIMIT_PER_IP, perUsername: vars.LOGIN_LIMIT_PER_USERNAME },
    trustProxy: parseTrustProxy(vars.TRUST_PROXY),
    redis: vars.REDIS_URL === undefined ? null : { url: vars.REDIS_URL, keyPrefix: vars.REDIS_KEY_PREFIX },
    logLevel: vars.LOG_LEVEL,
    authCacheTtlMs: vars.AUTH_CACHE_TTL * 1000,
  });
}
