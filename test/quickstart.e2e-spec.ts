import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ADMIN_PASSWORD, ADMIN_USERNAME, startApp, type TestApp } from './support/app.js';
import { DATABASES } from './support/databases.js';

/** The public quickstart (shared/seed), pointed at this service, then a restart. */
describe.each(DATABASES)('the quickstart on $name', (database) => {
  const folder = mkdtempSync(join(tmpdir(), 'voipbin-quickstart-'));
  let t: TestApp | undefined;
  afterAll(async () => {
    await t?.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('logs in, creates a key, lists keys with each credential kind, and keeps it all across a restart', async () => {
    // A file, not :memory:, so that the restart finds the same data.
    const url =
      database.name === 'sqlite'
        ? `sqlite:${join(folder, 'voipbin.sqlite')}`
        : await database.prepare('quickstart');
    t = await startApp(url);

    const loginRes = await request(t.http)
      .post('/auth/login')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD }))
      .expect(200);
    expect(loginRes.body.username).toBe(ADMIN_USERNAME);
    const token: string = loginRes.body.token;

    const created = await request(t.http)
      .post('/v1.0/accesskeys')
      .set('authorization', `Bearer ${token}`)
      .send({ name: 'My New Accesskey', detail: 'This key is used for reporting', expire: 86400 * 30 })
      .expect(200);
    const accesskey: string = created.body.token;

    const viaKey = await request(t.http).get(`/v1.0/accesskeys?accesskey=${accesskey}`).expect(200);
    const viaHeader = await request(t.http)
      .get('/v1.0/accesskeys')
      .set('authorization', `Bearer ${token}`)
      .expect(200);
    const viaQuery = await request(t.http).get(`/v1.0/accesskeys?token=${token}`).expect(200);
    for (const res of [viaKey, viaHeader, viaQuery]) {
      expect(res.body.result.map((k: { id: string }) => k.id)).toEqual([created.body.id]);
      expect(res.body.result[0].token).toBeUndefined();
    }

    await t.close();
    t = await startApp(url);

    await request(t.http).get(`/v1.0/accesskeys?token=${token}`).expect(200);
    const after = await request(t.http).get(`/v1.0/accesskeys?accesskey=${accesskey}`).expect(200);
    const { token: _shownOnce, ...stored } = created.body;
    // The shutdown flushed the key's first use.
    expect(after.body.result).toEqual([{ ...stored, tm_last_used: expect.any(String) }]);
    expect(Date.parse(after.body.result[0].tm_last_used)).toBeGreaterThanOrEqual(
      Date.parse(stored.tm_create),
    );
    await request(t.http)
      .post('/auth/login')
      .send({ username: ADMIN_USERNAME, password: ADMIN_PASSWORD })
      .expect(200);
  });
});
