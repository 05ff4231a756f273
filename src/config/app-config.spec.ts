import { describe, expect, it } from '@jest/globals';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { ConfigError, loadConfig, VARIABLES } from './app-config.js';
import { jwkThumbprint } from './signing-keys.js';

const SECRET = 'x'.repeat(32);

function failure(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('loadConfig accepted it');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ JWT_SECRET: SECRET });
    expect(config.port).toBe(3000);
    expect(config.database).toEqual({ type: 'sqlite', path: join(process.cwd(), 'data/voipbin.sqlite') });
    expect(config.jwt.expiresIn).toBe(604800);
    expect(config.admin).toEqual({ username: 'admin', password: undefined });
    expect(config.cookieSecure).toBe(true);
    expect(config.production).toBe(false);
    expect(config.shutdownDrainMs).toBe(2000);
    expect(config.loginLimits).toEqual({ perUsernameIp: 5, perIp: 30, perUsername: 20 });
    expect(config.metricsToken).toBeNull();
    expect(config.corsOrigins).toBe('*');
    expect(config.logRequests).toBe('all');
  });

  it('logs every request or only the refused and failed ones, and nothing else', () => {
    expect(loadConfig({ JWT_SECRET: SECRET, LOG_REQUESTS: 'errors' }).logRequests).toBe('errors');
    expect(failure({ JWT_SECRET: SECRET, LOG_REQUESTS: 'some' })).toMatch(/LOG_REQUESTS/);
  });

  it('caches credentials for 10 s by default with REDIS_URL, not without, and as told either way', () => {
    const redis = { JWT_SECRET: SECRET, REDIS_URL: 'redis://127.0.0.1:6379' };
    expect(loadConfig({ JWT_SECRET: SECRET }).authCacheTtlMs).toBe(0);
    expect(loadConfig(redis).authCacheTtlMs).toBe(10_000);
    expect(loadConfig({ ...redis, AUTH_CACHE_TTL: '0' }).authCacheTtlMs).toBe(0);
    expect(loadConfig({ ...redis, AUTH_CACHE_TTL: '30' }).authCacheTtlMs).toBe(30_000);
    expect(loadConfig({ JWT_SECRET: SECRET, AUTH_CACHE_TTL: '5' }).authCacheTtlMs).toBe(5_000);
  });

  it('names the public URL the issuer and audience of tokens, PORT making its default', () => {
    expect(loadConfig({ JWT_SECRET: SECRET, PORT: '8080' })).toMatchObject({
      publicUrl: 'http://localhost:8080',
      jwt: { issuer: 'http://localhost:8080', audience: 'http://localhost:8080' },
    });
    expect(loadConfig({ JWT_SECRET: SECRET, PUBLIC_URL: 'https://auth.example.com/' })).toMatchObject({
      publicUrl: 'https://auth.example.com',
      jwt: { issuer: 'https://auth.example.com', audience: 'https://auth.example.com' },
    });
    expect(
      loadConfig({ JWT_SECRET: SECRET, PUBLIC_URL: 'https://auth.example.com', JWT_ISSUER: 'voipbin-auth' })
        .jwt,
    ).toMatchObject({ issuer: 'voipbin-auth', audience: 'https://auth.example.com' });
  });

  it('reads CORS_ORIGINS as origins a browser sends, and refuses anything else by name', () => {
    expect(
      loadConfig({ JWT_SECRET: SECRET, CORS_ORIGINS: 'https://Console.example.com, http://127.0.0.1:8080' })
        .corsOrigins,
    ).toEqual(['https://console.example.com', 'http://127.0.0.1:8080']);
    expect(loadConfig({ JWT_SECRET: SECRET, CORS_ORIGINS: 'http://[::1]:3000' }).corsOrigins).toEqual([
      'http://[::1]:3000',
    ]);
    for (const value of [
      'https://console.example.com/',
      'https://console.example.com:443',
      'console.example.com',
      'ftp://files.example.com',
      '*, https://console.example.com',
      'https://console.example.com,',
      'null',
    ]) {
      expect(failure({ JWT_SECRET: SECRET, CORS_ORIGINS: value })).toContain('CORS_ORIGINS');
    }
  });

  it('reads MySQL and MariaDB URLs', () => {
    expect(loadConfig({ JWT_SECRET: SECRET, DATABASE_URL: 'mysql://u:p@db:3306/x' }).database).toEqual({
      type: 'mysql',
      url: 'mysql://u:p@db:3306/x',
    });
    expect(loadConfig({ JWT_SECRET: SECRET, DATABASE_URL: 'mariadb://u@db/x' }).database).toEqual({
      type: 'mariadb',
      url: 'mysql://u@db/x',
    });
  });

  it('reads read replicas of a MySQL/MariaDB database, mariadb:// as mysql://', () => {
    expect(
      loadConfig({
        JWT_SECRET: SECRET,
        DATABASE_URL: 'mariadb://u@db/x',
        DATABASE_REPLICA_URLS: 'mariadb://r:p@replica-1/x,mysql://r@replica-2:3307/x',
      }).database,
    ).toEqual({
      type: 'mariadb',
      url: 'mysql://u@db/x',
      replicas: ['mysql://r:p@replica-1/x', 'mysql://r@replica-2:3307/x'],
    });
  });

  it.each([
    [{ DATABASE_REPLICA_URLS: 'mysql://replica/x' }, 'needs a MySQL/MariaDB DATABASE_URL'],
    [{ DATABASE_URL: 'mysql://db/x', DATABASE_REPLICA_URLS: 'postgres://replica/x' }, 'must be mysql://'],
    [{ DATABASE_URL: 'mysql://db/x', DATABASE_REPLICA_URLS: 'mysql://a/x,,mysql://b/x' }, 'must be mysql://'],
    [{ DATABASE_URL: 'mysql://db/x', DATABASE_REPLICA_URLS: 'mysql://a/x, mysql://b/x' }, 'must be mysql://'],
    [{ DATABASE_URL: 'mysql://db/x', DATABASE_REPLICA_URLS: 'mysql://u:p@[bad/x' }, 'with a host'],
  ])('refuses DATABASE_REPLICA_URLS with %p, naming the variable', (env, why) => {
    const message = failure({ JWT_SECRET: SECRET, ...env });
    expect(message).toContain('DATABASE_REPLICA_URLS');
    expect(message).toContain(why);
    expect(message).not.toContain('u:p@');
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'postgres://x' }, 'DATABASE_URL'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ JWT_EXPIRES_IN: '7d' }, 'JWT_EXPIRES_IN'],
    [{ ADMIN_PASSWORD: 'short' }, 'ADMIN_PASSWORD'],
    [{ ADMIN_USERNAME: 'two words' }, 'ADMIN_USERNAME'],
    [{ COOKIE_SECURE: 'yes' }, 'COOKIE_SECURE'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ SHUTDOWN_DRAIN_MS: '2s' }, 'SHUTDOWN_DRAIN_MS'],
    [{ PUBLIC_URL: 'auth.example.com' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'ftp://auth.example.com' }, 'PUBLIC_URL'],
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN'],
    [{ LOGIN_LIMIT_PER_USERNAME_IP: '0' }, 'LOGIN_LIMIT_PER_USERNAME_IP'],
  ])('refuses %p, naming %s', (env, name) => {
    expect(failure({ JWT_SECRET: SECRET, ...env })).toContain(name);
  });

  it('says one thing per bad variable: the first rule it breaks', () => {
    const message = failure({ JWT_SECRET: SECRET, PORT: 'abc' });
    expect(message).toContain('PORT must be an integer number');
    expect(message).not.toMatch(/greater than|less than/);
  });

  it('refuses production without a JWT_SECRET, with a short one, or with an in-memory database', () => {
    expect(failure({ NODE_ENV: 'production' })).toContain('JWT_SECRET');
    expect(failure({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(31) })).toContain('JWT_SECRET');
    expect(
      failure({ NODE_ENV: 'production', JWT_SECRET: SECRET, DATABASE_URL: 'sqlite::memory:' }),
    ).toContain('DATABASE_URL');
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }).production).toBe(true);
  });

  it('outside production, generates a secret once, keeps it with mode 0600 beside the database, and reuses it', () => {
    const folder = mkdtempSync(join(tmpdir(), 'voipbin-config-'));
    try {
      const env = { DATABASE_URL: `sqlite:${join(folder, 'data', 'db.sqlite')}` };
      const first = loadConfig(env).jwt.key.export();
      const file = join(folder, 'data', 'jwt-secret');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(Buffer.byteLength(readFileSync(file, 'utf8'))).toBeGreaterThanOrEqual(32);
      expect(loadConfig(env).jwt.key.export().equals(first)).toBe(true);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  describe('ES256 and Redis', () => {
    const ec = () => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = (key: ReturnType<typeof ec>['privateKey']) =>
      key.export({ format: 'pem', type: key.type === 'private' ? 'pkcs8' : 'spki' }).toString();
    const current = ec();
    const previous = ec();

    it('signs with ES256 when JWT_PRIVATE_KEY is set, with the thumbprint as kid, and verifies the previous keys too', async () => {
      const config = loadConfig({
        JWT_PRIVATE_KEY: pem(current.privateKey),
        JWT_PREVIOUS_PUBLIC_KEYS: pem(previous.publicKey),
      });
      expect(config.jwt.algorithm).toBe('ES256');
      expect(config.jwt.kid).toBe(jwkThumbprint(current.publicKey));
      expect(config.jwt.publicKeys.map((k) => k.kid)).toEqual([
        jwkThumbprint(current.publicKey),
        jwkThumbprint(previous.publicKey),
      ]);
      // The same thumbprint an independent implementation computes (jose, RFC 7638).
      expect(config.jwt.kid).toBe(await calculateJwkThumbprint(current.publicKey.export({ format: 'jwk' })));
    });

    it('reads keys written on one line with literal \\n, and several previous keys one after another', () => {
      const other = ec();
      const config = loadConfig({
        JWT_PRIVATE_KEY: pem(current.privateKey).replace(/\n/g, '\\n'),
        JWT_PREVIOUS_PUBLIC_KEYS: pem(previous.publicKey) + pem(other.publicKey),
      });
      expect(config.jwt.publicKeys).toHaveLength(3);
      expect(createPublicKey(config.jwt.key).equals(current.publicKey)).toBe(true);
    });

    it('stays on HS256 without JWT_PRIVATE_KEY, with no public keys', () => {
      const config = loadConfig({ JWT_SECRET: SECRET });
      expect(config.jwt.algorithm).toBe('HS256');
      expect(config.jwt.kid).toBeUndefined();
      expect(config.jwt.publicKeys).toEqual([]);
    });

    it('refuses a bad or wrong-curve private key, naming the variable without quoting it', () => {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
      for (const value of [
        'not a key',
        '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
        pem(current.publicKey),
        rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        p384.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        pem(current.privateKey) + pem(previous.privateKey),
      ]) {
        const message = failure({ JWT_PRIVATE_KEY: value });
        expect(message).toContain('JWT_PRIVATE_KEY');
        expect(message).not.toContain('BEGIN');
      }
    });

    it('refuses bad previous keys, and previous keys without a private key', () => {
      const privateKey = pem(current.privateKey);
      expect(failure({ JWT_PRIVATE_KEY: privateKey, JWT_PREVIOUS_PUBLIC_KEYS: 'junk' })).toContain(
        'JWT_PREVIOUS_PUBLIC_KEYS',
      );
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
      expect(
        failure({
          JWT_PRIVATE_KEY: privateKey,
          JWT_PREVIOUS_PUBLIC_KEYS: rsa.export({ format: 'pem', type: 'spki' }).toString(),
        }),
      ).toContain('JWT_PREVIOUS_PUBLIC_KEYS');
      expect(failure({ JWT_SECRET: SECRET, JWT_PREVIOUS_PUBLIC_KEYS: pem(previous.publicKey) })).toContain(
        'JWT_PREVIOUS_PUBLIC_KEYS needs JWT_PRIVATE_KEY',
      );
    });

    it('accepts production with an ES256 key instead of JWT_SECRET, and still refuses it with neither', () => {
      expect(
        loadConfig({ NODE_ENV: 'production', JWT_PRIVATE_KEY: pem(current.privateKey) }).jwt.algorithm,
      ).toBe('ES256');
      expect(failure({ NODE_ENV: 'production' })).toContain('JWT_SECRET');
    });

    it('reads REDIS_URL and REDIS_KEY_PREFIX, and refuses malformed ones by name', () => {
      expect(loadConfig({ JWT_SECRET: SECRET }).redis).toBeNull();
      expect(loadConfig({ JWT_SECRET: SECRET, REDIS_URL: 'redis://127.0.0.1:6379' }).redis).toEqual({
        url: 'redis://127.0.0.1:6379',
        keyPrefix: 'voipbin:',
      });
      expect(
        loadConfig({ JWT_SECRET: SECRET, REDIS_URL: 'rediss://u:p@cache:6380/2', REDIS_KEY_PREFIX: 'prod:' })
          .redis,
      ).toEqual({ url: 'rediss://u:p@cache:6380/2', keyPrefix: 'prod:' });
      expect(failure({ JWT_SECRET: SECRET, REDIS_URL: 'http://cache:6379' })).toContain('REDIS_URL');
      expect(
        loadConfig({ JWT_SECRET: SECRET, REDIS_URL: 'rediss://cache:6380', REDIS_TLS_CA: 'PEM' }).redis,
      ).toEqual({ url: 'rediss://cache:6380', keyPrefix: 'voipbin:', tlsCa: 'PEM' });
      expect(failure({ JWT_SECRET: SECRET, REDIS_URL: 'redis://x', REDIS_KEY_PREFIX: 'a b' })).toContain(
        'REDIS_KEY_PREFIX',
      );
    });

    it('reads REDIS_SENTINELS and REDIS_SENTINEL_NAME, REDIS_URL then optional, the cache on by default', () => {
      const sentinels = {
        JWT_SECRET: SECRET,
        REDIS_SENTINELS: 's1:26379,10.0.0.2:26380',
        REDIS_SENTINEL_NAME: 'auth',
      };
      const config = loadConfig(sentinels);
      expect(config.redis).toEqual({
        url: 'redis://',
        keyPrefix: 'voipbin:',
        sentinels: [
          { host: 's1', port: 26379 },
          { host: '10.0.0.2', port: 26380 },
        ],
        sentinelName: 'auth',
      });
      expect(config.authCacheTtlMs).toBe(10_000);
      expect(loadConfig({ ...sentinels, REDIS_URL: 'redis://:pw@ignored:1/3' }).redis!.url).toBe(
        'redis://:pw@ignored:1/3',
      );
      expect(failure({ JWT_SECRET: SECRET, REDIS_SENTINELS: 's1' })).toContain('REDIS_SENTINELS');
      expect(failure({ ...sentinels, REDIS_SENTINEL_NAME: 'a b' })).toContain('REDIS_SENTINEL_NAME');
    });
  });
});

describe('the documented configuration', () => {
  const root = resolve(import.meta.dirname, '../..');
  /** .env.example up to the variables only docker compose reads. */
  const serviceExample = () =>
    readFileSync(join(root, '.env.example'), 'utf8').split('# --- docker compose only')[0];

  it('README.md and .env.example name exactly the variables the service reads', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const table = readme.slice(
      readme.indexOf('## Configuration'),
      readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1),
    );
    const inReadme = [...table.matchAll(/^\| `([A-Z_]+)`/gm)].map((m) => m[1]);
    const inExample = [...serviceExample().matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]);
    expect(inReadme.sort()).toEqual([...VARIABLES].sort());
    expect(inExample.sort()).toEqual([...VARIABLES].sort());
  });

  it('docs/api.md, the contract, names every variable the service reads, and no other', () => {
    const api = readFileSync(join(root, 'docs/api.md'), 'utf8');
    const table = api.slice(api.indexOf('## Configuration'));
    const inApi = [...table.matchAll(/^\|([^|]*)\|/gm)].flatMap((row) =>
      [...row[1].matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]),
    );
    expect([...new Set(inApi)].sort()).toEqual([...VARIABLES].sort());
  });

  it('.env.example holds valid values (its empty ones count as unset)', () => {
    const env = Object.fromEntries(
      [...serviceExample().matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]),
    );
    expect(() => loadConfig({ ...env, JWT_SECRET: SECRET })).not.toThrow();
  });
});
