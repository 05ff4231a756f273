import { afterEach, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ServiceProcess } from './support/service.js';
import { ADMIN_USERNAME } from './support/env.js';

/** What the process printed, without blank lines. */
const printed = (service: ServiceProcess) => service.output.filter((line) => line.trim() !== '');

describe('starting the built service', () => {
  let service: ServiceProcess | undefined;
  afterEach(() => service?.stop());

  it('with its port in use, says so in one line naming PORT and creates nothing', async () => {
    const taken = net.createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as net.AddressInfo;
    try {
      service = await ServiceProcess.launch({ HOST: '127.0.0.1', ADMIN_PASSWORD: '' }, port);
      expect(await service.exitCode(20_000)).toBe(1);
      expect(printed(service)).toEqual([
        `PORT ${port} is already in use on 127.0.0.1: stop what listens there, or set PORT to a free port`,
      ]);
      expect(existsSync(service.databaseFile)).toBe(false);
    } finally {
      taken.close();
    }
  });

  it('with a HOST that is not this machine, says so in one line naming HOST', async () => {
    service = await ServiceProcess.launch({ HOST: '192.0.2.1' });
    expect(await service.exitCode(20_000)).toBe(1);
    expect(printed(service)).toHaveLength(1);
    expect(printed(service)[0]).toMatch(/^HOST 192\.0\.2\.1 is not an address of this machine: set HOST/);
  });

  it('says where it listens, and GET / points a person to the admin page and the API docs', async () => {
    service = await ServiceProcess.start({ HOST: '127.0.0.1' });
    const port = new URL(service.url).port;
    const listening = service.logLines().find((line) => String(line.msg).startsWith('listening on'));
    expect(listening?.msg).toBe(
      `listening on http://127.0.0.1:${port} (admin page http://localhost:3000/admin, API docs http://localhost:3000/docs)`,
    );

    const index = await fetch(`${service.url}/`);
    expect(index.status).toBe(200);
    expect(await index.json()).toMatchObject({ admin: '/admin/', docs: '/docs' });
    const browser = await fetch(`${service.url}/`, {
      headers: { accept: 'text/html,application/xhtml+xml' },
      redirect: 'manual',
    });
    expect([browser.status, browser.headers.get('location')]).toEqual([302, '/admin/']);
    // The built page's modules, the QR library from node_modules among them.
    for (const file of ['account.js', 'vendor/qrcode.mjs']) {
      const served = await fetch(`${service.url}/admin/${file}`);
      expect([served.status, served.headers.get('content-type')]).toEqual([
        200,
        expect.stringMatching(/javascript/),
      ]);
    }
  });

  it('in production writes a generated first password to a file only its user reads, never to the log', async () => {
    service = await ServiceProcess.start({ NODE_ENV: 'production', ADMIN_PASSWORD: '' });
    const file = join(dirname(service.databaseFile), 'admin-password');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const password = readFileSync(file, 'utf8').trim();
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(service.output.join('\n')).not.toContain(password);
    expect(service.output.join('\n')).toContain(file);

    const login = await fetch(`${service.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: ADMIN_USERNAME, password }),
    });
    expect(login.status).toBe(200);
  });
});

describe('the admin command as the image has it (dist, package.json and node_modules only)', () => {
  it('runs the built command without looking for the sources', () => {
    const root = resolve(import.meta.dirname, '..');
    const image = mkdtempSync(join(tmpdir(), 'voipbin-image-'));
    try {
      cpSync(join(root, 'package.json'), join(image, 'package.json'));
      cpSync(join(root, 'dist'), join(image, 'dist'), { recursive: true });
      symlinkSync(join(root, 'node_modules'), join(image, 'node_modules'));
      const run = spawnSync('npm', ['run', '-s', 'admin'], { cwd: image, encoding: 'utf8' });
      expect(run.stderr).toMatch(/^usage: npm run admin -- /);
      expect(run.stderr).not.toMatch(/find:|src/);
      expect(run.status).toBe(2);
    } finally {
      rmSync(image, { recursive: true, force: true });
    }
  });
});
