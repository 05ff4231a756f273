import 'reflect-metadata';
import type { KeyObject } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { plainToInstance, Type } from 'class-transformer';
import {
  getMetadataStorage,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  Max,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';
import {
  developmentSecret,
  es256Keys,
  hs256Keys,
  MIN_SECRET_BYTES,
  type SigningKeys,
} from './signing-keys.js';
import { parseScanningKeys } from './secret-scanning-keys.js';

const REPLICA_URLS = /^(mysql|mariadb):\/\/[^,\s]+(,(mysql|mariadb):\/\/[^,\s]+)*$/;

/** The environment as docs/api.md documents it; each rule names its variable when it fails. */
export class EnvironmentVariables {
  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV?: string;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 3000;

  /** The address to listen on: 0.0.0.0 every interface, 127.0.0.1 this machine only. */
  @Matches(/^[A-Za-z0-9.:-]{1,253}$/, {
    message:
      'HOST must be an address to listen on, such as 0.0.0.0 (every interface) or 127.0.0.1 (this machine only)',
  })
  HOST = '0.0.0.0';

  /** Where clients reach the service; unset, `http://localhost:<PORT>` (see loadConfig). */
  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false },
    { message: 'PUBLIC_URL must be an http:// or https:// URL, such as https://auth.example.com' },
  )
  PUBLIC_URL?: string;

  @Matches(/^(sqlite:.+|mysql:\/\/.+|mariadb:\/\/.+)$/, {
    message: 'DATABASE_URL must be sqlite:PATH, sqlite::memory:, mysql://... or mariadb://...',
  })
  DATABASE_URL = 'sqlite:data/voipbin.sqlite';

  /** MySQL/MariaDB read replicas of DATABASE_URL, separated by commas: lists are read there (docs/scaling.md). */
  @IsOptional()
  @Matches(REPLICA_URLS, {
    message: 'DATABASE_REPLICA_URLS must be mysql://... or mariadb://... URLs separated by commas',
  })
  DATABASE_REPLICA_URLS?: string;

  /** `auto`: pending migrations run at start; `off`: start refuses while any is pending (run `admin migrate`). */
  @IsIn(['auto', 'off'], { message: 'MIGRATIONS must be auto or off' })
  MIGRATIONS = 'auto';

  @IsOptional()
  @IsString()
  JWT_SECRET?: string;

  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(31536000)
  JWT_EXPIRES_IN = 604800;

  /** The `iss` of the tokens this service signs and the only one it accepts; unset, PUBLIC_URL. */
  @IsOptional()
  @IsString()
  @Length(1, 255)
  JWT_ISSUER?: string;

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

  /** Failed logins per minute, from one client address for one username (strict)... */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  LOGIN_LIMIT_PER_USERNAME_IP = 5;

  /** ...from one client address, whatever the usernames (loose)... */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  LOGIN_LIMIT_PER_IP = 30;

  /** ...and for one username from anywhere (loose; see LoginThrottle for whom it refuses). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  LOGIN_LIMIT_PER_USERNAME = 20;

  /**
   * Seconds a credential looked up for authentication is reused; 0 turns it off. Unset: 10 with
   * REDIS_URL (revocations then reach every instance's cache at once), else 0, so that a revocation
   * from anywhere (another instance, the admin command) is seen at once.
   */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(300)
  AUTH_CACHE_TTL?: number;

  /** GitHub's secret-scanning public-keys document (JSON), checked in loadConfig. */
  @IsOptional()
  @IsString()
  SECRET_SCANNING_PUBLIC_KEYS?: string;

  /** Where to refresh that document from, when reachable (never required). */
  @IsOptional()
  @IsUrl(
    { protocols: ['https', 'http'], require_tld: false },
    { message: 'SECRET_SCANNING_KEYS_URL must be an http(s) URL' },
  )
  SECRET_SCANNING_KEYS_URL?: string;

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

  /** Redis through Sentinel: host:port of each sentinel, separated by commas (REDIS_URL then gives only credentials, db and TLS). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9.-]+:\d{1,5}(,[A-Za-z0-9.-]+:\d{1,5})*$/, {
    message: 'REDIS_SENTINELS must be host:port of each sentinel, separated by commas',
  })
  REDIS_SENTINELS?: string;

  /** The master name the sentinels watch. */
  @Matches(/^[A-Za-z0-9._-]{1,64}$/, {
    message: 'REDIS_SENTINEL_NAME must be 1..64 of the characters A-Z a-z 0-9 . _ -',
  })
  REDIS_SENTINEL_NAME = 'mymaster';

  /** With rediss://: the PEM certificates of the authorities Redis's certificate is checked against, instead of the system's. */
  @IsOptional()
  @IsString()
  REDIS_TLS_CA?: string;

  @Matches(/^[A-Za-z0-9:_.-]{1,64}$/, {
    message: 'REDIS_KEY_PREFIX must be 1..64 of the characters A-Z a-z 0-9 : _ . -',
  })
  REDIS_KEY_PREFIX = 'voipbin:';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /** `errors`: the request log keeps only the lines of 4xx and 5xx answers (and aborted requests). */
  @IsIn(['all', 'errors'])
  LOG_REQUESTS = 'all';

  /** Days an audit event is kept; older ones are pruned, behind a signed checkpoint. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(36500)
  AUDIT_RETENTION_DAYS = 400;
  /** `true` lets webhook_uri reach loopback, private and link-local addresses (tests, closed networks). */
  @IsIn(['true', 'false'])
  WEBHOOK_ALLOW_PRIVATE = 'false';

  /** Seconds between sweeps for access keys' expiry notices (0: this instance does not sweep). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(86400)
  EXPIRY_SWEEP_SECONDS = 300;

  /** After SIGTERM, how long open connections are still answered (each answer closing its own). */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(60000)
  SHUTDOWN_DRAIN_MS = 2000;
  /** The bearer token /metrics answers; unset, /metrics answers nobody. */
  @IsOptional()
  @MinLength(32, { message: 'METRICS_TOKEN must be at least 32 characters (openssl rand -hex 32)' })
  METRICS_TOKEN?: string;
  /** The browser origins whose pages may read answers: `*` (any), or origins separated by commas (checked in loadConfig). */
  @IsString()
  CORS_ORIGINS = '*';
}

/**
 * Every variable the service reads, in the order the class declares them: each property of
 * EnvironmentVariables carries a rule, so a variable cannot be read without being listed here.
 * README.md and .env.example document each (checked by a spec).
 */
export const VARIABLES: readonly (keyof EnvironmentVariables)[] = [
  ...new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(EnvironmentVariables, '', true, false)
      .map((rule) => rule.propertyName as keyof EnvironmentVariables),
  ),
];

export type JwtConfig = SigningKeys & {
  expiresIn: number;
  issuer: string;
  /** The `aud` of every token: this service, as its public URL names it. */
  audience: string;
};

export type DatabaseConfig =
  | { type: 'sqlite'; path: string }
  /** `replicas`: the read replicas' URLs (mysql://), when DATABASE_REPLICA_URLS is set. */
  | { type: 'mysql' | 'mariadb'; url: string; replicas?: string[] };

/** AUTH_CACHE_TTL when unset and REDIS_URL is set, seconds. */
const DEFAULT_SHARED_CACHE_TTL = 10;

/** The validated, typed configuration every module reads. */
export class AppConfig {
  readonly production: boolean;
  readonly port: number;
  readonly host: string;
  /** Where clients reach the service, without a trailing slash. */
  readonly publicUrl: string;
  readonly database: DatabaseConfig;
  /** Beside the SQLite file, else ./data: the development secret, the first super admin's password in production. */
  readonly dataFolder: string;
  /** Whether start-up runs pending migrations (`auto`) or refuses to start while any is pending. */
  readonly migrations: 'auto' | 'off';
  readonly jwt: JwtConfig;
  readonly admin: { username: string; password?: string };
  readonly cookieSecure: boolean;
  /** Failed logins allowed per minute. */
  readonly loginLimits: { perUsernameIp: number; perIp: number; perUsername: number };
  /** Fastify's `trustProxy`: whether and whom to believe about X-Forwarded-For. */
  readonly trustProxy: boolean | number | string;
  /** Shared login counters and revocations across instances; null: this instance alone. */
  readonly redis: {
    url: string;
    keyPrefix: string;
    /** Set: the master is found through these sentinels, under `sentinelName`. */
    sentinels?: { host: string; port: number }[];
    sentinelName?: string;
    /** rediss:// with its own certificate authorities. */
    tlsCa?: string;
  } | null;
  readonly logLevel: string;
  /** Which answered requests get a log line: every one, or those answered 4xx or 5xx. */
  readonly logRequests: 'all' | 'errors';
  /** Milliseconds a credential lookup is reused on this instance (0: every request asks the database). */
  readonly authCacheTtlMs: number;
  /** Milliseconds of draining after SIGTERM before the server closes (0: close at once). */
  readonly shutdownDrainMs: number;
  /** Days an audit event is kept before it is pruned. */
  readonly auditRetentionDays: number;
  /** Whether webhooks may go to loopback, private, link-local... addresses (else refused, SSRF). */
  readonly webhookAllowPrivate: boolean;
  /** Milliseconds between expiry-notice sweeps; 0: none. */
  readonly expirySweepMs: number;
  /** The bearer token /metrics answers; null: /metrics answers nobody. */
  readonly metricsToken: string | null;
  /** The origins whose pages may read answers: any (`*`), or these (lower case, as browsers send them). */
  readonly corsOrigins: '*' | string[];
  /** The keys secret-scanning reports are signed with, by identifier, and where to refresh them. */
  readonly secretScanning: { keys: Map<string, KeyObject>; keysUrl: string | null };

  constructor(fields: AppConfig) {
    Object.assign(this, fields);
  }
}

function dataFolder(database: DatabaseConfig): string {
  return database.type === 'sqlite' && database.path !== ':memory:'
    ? dirname(database.path)
    : resolve('data');
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** `*`, or each origin exactly as a browser sends it in `Origin` (so `https://a.example:443` is refused: it would never match). */
function parseCorsOrigins(value: string, problems: string[]): '*' | string[] {
  if (value === '*') return '*';
  const origins = value.split(',').map((origin) => origin.trim().toLowerCase());
  const isOrigin = (origin: string) =>
    /^https?:\/\//.test(origin) && URL.canParse(origin) && new URL(origin).origin === origin;
  if (!origins.every(isOrigin)) {
    problems.push(
      'CORS_ORIGINS must be * or comma-separated origins such as https://console.example.com (scheme, host and port only)',
    );
  }
  return origins;
}

function parseDatabaseUrl(url: string): DatabaseConfig {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    return { type: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
  }
  if (url.startsWith('mariadb://')) {
    return { type: 'mariadb', url: `mysql://${url.slice('mariadb://'.length)}` };
  }
  return { type: 'mysql', url };
}

/** The replicas' URLs, each as mysql2 reads it; none unless DATABASE_URL is MySQL/MariaDB too. */
function parseReplicaUrls(vars: EnvironmentVariables, problems: string[]): string[] {
  if (vars.DATABASE_REPLICA_URLS === undefined || !REPLICA_URLS.test(vars.DATABASE_REPLICA_URLS)) return [];
  if (vars.DATABASE_URL.startsWith('sqlite:')) {
    problems.push('DATABASE_REPLICA_URLS needs a MySQL/MariaDB DATABASE_URL (SQLite has no replicas)');
    return [];
  }
  const urls = vars.DATABASE_REPLICA_URLS.split(',').map((url) => url.replace(/^mariadb:/, 'mysql:'));
  if (!urls.every((url) => URL.canParse(url) && new URL(url).hostname !== '')) {
    // The message names no URL: one may carry a password.
    problems.push(
      'DATABASE_REPLICA_URLS must be mysql://... or mariadb://... URLs with a host, separated by commas',
    );
  }
  return urls;
}

/** Redis from REDIS_URL, or through REDIS_SENTINELS (REDIS_URL, if set, then naming no host that is used). */
function redisConfig(vars: EnvironmentVariables): AppConfig['redis'] {
  if (vars.REDIS_URL === undefined && vars.REDIS_SENTINELS === undefined) return null;
  return {
    url: vars.REDIS_URL ?? 'redis://',
    keyPrefix: vars.REDIS_KEY_PREFIX,
    ...(vars.REDIS_SENTINELS !== undefined && {
      sentinels: vars.REDIS_SENTINELS.split(',').map((entry) => {
        const at = entry.lastIndexOf(':');
        return { host: entry.slice(0, at), port: Number(entry.slice(at + 1)) };
      }),
      sentinelName: vars.REDIS_SENTINEL_NAME,
    }),
    ...(vars.REDIS_TLS_CA !== undefined && { tlsCa: vars.REDIS_TLS_CA }),
  };
}

/** Validates the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // An empty variable counts as unset, so `PORT=` falls back to the default.
  const present = Object.fromEntries(
    VARIABLES.filter((name) => env[name] !== undefined && env[name] !== '').map((name) => [name, env[name]]),
  );
  const vars = plainToInstance(EnvironmentVariables, present);
  // One problem per variable: the first of its rules as written (class-validator lists them last first).
  const problems = validateSync(vars).flatMap((e) => Object.values(e.constraints ?? {}).slice(-1));
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
  const replicas = parseReplicaUrls(vars, problems);
  const corsOrigins = parseCorsOrigins(vars.CORS_ORIGINS, problems);
  let scanningKeys = new Map<string, KeyObject>();
  try {
    if (vars.SECRET_SCANNING_PUBLIC_KEYS !== undefined)
      scanningKeys = parseScanningKeys(vars.SECRET_SCANNING_PUBLIC_KEYS);
  } catch (error) {
    problems.push(`SECRET_SCANNING_PUBLIC_KEYS ${(error as Error).message}`);
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }

  const database = parseDatabaseUrl(vars.DATABASE_URL);
  if (database.type !== 'sqlite' && replicas.length > 0) database.replicas = replicas;
  const folder = dataFolder(database);
  const publicUrl = (vars.PUBLIC_URL ?? `http://localhost:${vars.PORT}`).replace(/\/+$/, '');
  return new AppConfig({
    production,
    port: vars.PORT,
    host: vars.HOST,
    publicUrl,
    database,
    dataFolder: folder,
    migrations: vars.MIGRATIONS as 'auto' | 'off',
    jwt: {
      ...(es256 ?? hs256Keys(vars.JWT_SECRET ?? developmentSecret(folder))),
      expiresIn: vars.JWT_EXPIRES_IN,
      issuer: vars.JWT_ISSUER ?? publicUrl,
      audience: publicUrl,
    },
    admin: { username: vars.ADMIN_USERNAME.toLowerCase(), password: vars.ADMIN_PASSWORD },
    cookieSecure: vars.COOKIE_SECURE === 'true',
    loginLimits: {
      perUsernameIp: vars.LOGIN_LIMIT_PER_USERNAME_IP,
      perIp: vars.LOGIN_LIMIT_PER_IP,
      perUsername: vars.LOGIN_LIMIT_PER_USERNAME,
    },
    trustProxy: parseTrustProxy(vars.TRUST_PROXY),
    redis: redisConfig(vars),
    logLevel: vars.LOG_LEVEL,
    logRequests: vars.LOG_REQUESTS as 'all' | 'errors',
    authCacheTtlMs:
      (vars.AUTH_CACHE_TTL ?? (redisConfig(vars) === null ? 0 : DEFAULT_SHARED_CACHE_TTL)) * 1000,
    shutdownDrainMs: vars.SHUTDOWN_DRAIN_MS,
    auditRetentionDays: vars.AUDIT_RETENTION_DAYS,
    webhookAllowPrivate: vars.WEBHOOK_ALLOW_PRIVATE === 'true',
    expirySweepMs: vars.EXPIRY_SWEEP_SECONDS * 1000,
    metricsToken: vars.METRICS_TOKEN ?? null,
    corsOrigins,
    secretScanning: { keys: scanningKeys, keysUrl: vars.SECRET_SCANNING_KEYS_URL ?? null },
  });
}
