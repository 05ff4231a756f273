import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const root = resolve(import.meta.dirname, '..');
const text = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const compose = parse(text) as {
  services: Record<
    string,
    {
      env_file?: { path: string }[];
      environment?: Record<string, string>;
      ports?: string[];
      volumes?: string[];
    }
  >;
};
const { auth, mysql } = compose.services;

describe('docker-compose.yml', () => {
  it('passes the whole .env to the service', () => {
    expect(auth.env_file).toEqual([expect.objectContaining({ path: '.env' })]);
  });

  it('takes every secret from .env, generating none on `up` and hard-coding none', () => {
    expect(auth.environment!.JWT_SECRET).toMatch(/^\$\{JWT_SECRET:\?/);
    expect(auth.environment!.DATABASE_URL).toBe(
      'mysql://voipbin:${MYSQL_PASSWORD:?set MYSQL_PASSWORD in .env}@mysql:3306/voipbin',
    );
    expect(mysql.environment!.MYSQL_PASSWORD).toMatch(/^\$\{MYSQL_PASSWORD:\?/);
    expect(text).not.toMatch(/\$\(/);
  });

  it('publishes the service on this machine only and keeps its data folder', () => {
    expect(auth.ports!.every((port) => port.startsWith('127.0.0.1:'))).toBe(true);
    expect(mysql.ports).toBeUndefined();
    expect(auth.volumes).toContain('auth-data:/app/data');
    expect(auth.environment!.COOKIE_SECURE).toBeUndefined();
  });

  it('reads only variables that .env.example documents', () => {
    const example = readFileSync(join(root, '.env.example'), 'utf8');
    const documented = new Set([...example.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    const used = [...text.matchAll(/(?<!\$)\$\{([A-Z_]+)/g)].map((m) => m[1]);
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((name) => !documented.has(name))).toEqual([]);
  });
});
