import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig, VARIABLES } from './app-config.js';

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
  ])('refuses %p, naming %s', (env, name) => {
    expect(failure({ JWT_SECRET: SECRET, ...env })).toContain(name);
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
});

describe('the documented configuration', () => {
  const root = resolve(import.meta.dirname, '../..');

  it('README.md and .env.example name exactly the variables the service reads', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const table = readme.slice(
      readme.indexOf('## Configuration'),
      readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1),
    );
    const inReadme = [...table.matchAll(/^\| `([A-Z_]+)`/gm)].map((m) => m[1]);
    const inExample = [...readFileSync(join(root, '.env.example'), 'utf8').matchAll(/^([A-Z_]+)=/gm)].map(
      (m) => m[1],
    );
    expect(inReadme.sort()).toEqual([...VARIABLES].sort());
    expect(inExample.sort()).toEqual([...VARIABLES].sort());
  });

  it('.env.example holds valid values (its empty ones count as unset)', () => {
    const env = Object.fromEntries(
      [...readFileSync(join(root, '.env.example'), 'utf8').matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    expect(() => loadConfig({ ...env, JWT_SECRET: SECRET })).not.toThrow();
  });
});
