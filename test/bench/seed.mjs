// The data the scenarios need: the super admin's JWT and keys through the API, distinct JWTs signed
// here, and bulk customers and keys written straight into MySQL.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ADMIN, PUBLIC_URL, SECRET } from './processes.mjs';

/** One JSON call to the service; throws on any answer but 2xx. */
export async function call(base, method, path, { token, body } = {}) {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** A JWT of the super admin, from the login route. */
export async function login(base) {
  const { token } = await call(base, 'POST', '/auth/login', { body: ADMIN });
  return token;
}

/** Logs in as the super admin, and gives it 100 keys so that the list answers a full page. */
export async function seedAdmin(base) {
  const jwtToken = await login(base);
  const keys = [];
  for (let i = 0; i < 100; i++) {
    keys.push(
      (await call(base, 'POST', '/v1.0/accesskeys', { token: jwtToken, body: { name: `k${i}` } })).token,
    );
  }
  return { jwtToken, accessKey: keys[0] };
}

/** `count` distinct JWTs of one customer, as many clients would hold: each fills a cache slot once. */
export function signJwts(customerId, count) {
  const tokens = [];
  for (let i = 0; i < count; i++) {
    tokens.push(
      jwt.sign({ customer: { id: customerId }, gen: 0 }, SECRET, {
        algorithm: 'HS256',
        expiresIn: 3600,
        issuer: PUBLIC_URL,
        audience: PUBLIC_URL,
        subject: customerId,
        jwtid: randomUUID(),
      }),
    );
  }
  return tokens;
}

/** The super admin's id (the owner of the seeded keys), and a new customer to own the bulk keys. */
export async function growthCustomers(db) {
  const [[admin]] = await db.query('SELECT customer_id AS id FROM access_keys LIMIT 1');
  await db.query(
    `INSERT INTO customers (id, username, password_hash, name, detail, permission, live, tm_create)
     VALUES (?, 'bench-bulk', 'x', 'bulk', '', 32, 1, NOW(3))`,
    [randomUUID()],
  );
  const [[bulk]] = await db.query("SELECT id FROM customers WHERE username = 'bench-bulk'");
  return { adminId: admin.id, bulkId: bulk.id };
}

/** Inserts `count` keys of one customer, 5,000 rows a statement. */
export async function fillKeys(db, customerId, count) {
  const t0 = Date.now() - count;
  for (let done = 0; done < count;) {
    const rows = [];
    for (let j = 0; j < 5000 && done < count; j++, done++) {
      const hash = createHash('sha256').update(randomBytes(24)).digest('hex');
      rows.push([
        randomUUID(),
        customerId,
        'bulk',
        '',
        hash,
        'vb_bulk0000',
        new Date(t0 + done + 86400e6),
        new Date(t0 + done),
      ]);
    }
    await db.query(
      'INSERT INTO access_keys (id, customer_id, name, detail, token_hash, token_prefix, tm_expire, tm_create) VALUES ?',
      [rows],
    );
  }
}

/** The page token of page `n` of the super admin's key list. */
export async function pageToken(base, jwtToken, n) {
  let token = '';
  for (let page = 1; page < n; page++) {
    token = (await call(base, 'GET', `/v1.0/accesskeys?page_token=${token}`, { token: jwtToken }))
      .next_page_token;
  }
  return token;
}
