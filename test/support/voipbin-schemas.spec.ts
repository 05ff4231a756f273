import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { answerOf, component } from './voipbin-schemas.js';

const key = {
  id: randomUUID(),
  customer_id: randomUUID(),
  name: 'reporting',
  detail: '',
  token_prefix: 'vb_a3Bf9xKm',
  tm_expire: '2027-12-01T10:15:30.123Z',
  tm_create: '2026-12-01T10:15:30.123Z',
  tm_update: null,
  tm_delete: null,
  tm_last_used: null,
};
const customer = {
  id: randomUUID(),
  name: 'Acme',
  email: 'admin@acme.com',
  webhook_method: 'POST',
  tm_create: '2026-12-01T10:15:30.123Z',
  tm_update: null,
  tm_delete: null,
};

/** The specs' schemas must be able to fail, or the answers they pass prove nothing. */
describe("VoIPBIN's schemas, as the specs read them", () => {
  it('accept answers shaped as VoIPBIN sends them, null tm_update and tm_delete included', () => {
    expect(component('CustomerManagerAccesskey')(key)).toBe(true);
    expect(component('CustomerManagerCustomer')(customer)).toBe(true);
    expect(answerOf('accesskeys/main.yaml', 'get')({ result: [key], next_page_token: 'x' })).toBe(true);
    expect(answerOf('customers/main.yaml', 'get')({ result: [customer], next_page_token: '' })).toBe(true);
  });

  it.each([
    ['a key whose id is no UUID', 'CustomerManagerAccesskey', { ...key, id: 'x' }],
    ['a key whose tm_create is null', 'CustomerManagerAccesskey', { ...key, tm_create: null }],
    ['a key whose tm_expire is no time', 'CustomerManagerAccesskey', { ...key, tm_expire: 'soon' }],
    ['a customer whose email is ""', 'CustomerManagerCustomer', { ...customer, email: '' }],
    [
      'a customer whose webhook_method is PATCH',
      'CustomerManagerCustomer',
      { ...customer, webhook_method: 'PATCH' },
    ],
    [
      'an error without request_id',
      'ErrorResponse',
      { error: { status: 'NOT_FOUND', reason: 'X', message: 'x' } },
    ],
    ['a login answer without token', 'AuthLoginResponse', { username: 'admin' }],
  ] as const)('refuse %s', (_label, name, body) => {
    expect(component(name)(body)).toBe(false);
  });

  it('refuse a list whose items are not keys, or whose next_page_token is no string', () => {
    const list = answerOf('accesskeys/main.yaml', 'get');
    expect(list({ result: [{ ...key, tm_create: 5 }], next_page_token: '' })).toBe(false);
    expect(list({ result: [], next_page_token: null })).toBe(false);
  });
});
