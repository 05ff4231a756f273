import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { resourcesOf } from '../../test/fixtures/voipbin-openapi/generate-scopes.js';
import { Permission } from './permission.js';
import { VOIPBIN_RESOURCES } from './scope-catalogue.js';
import { normalizeScopes, RESOURCES, Rights, scopeProblem, SUPER_ADMIN_RESOURCES } from './scopes.js';

const CUSTOMER_RESOURCES = RESOURCES.filter((r) => !SUPER_ADMIN_RESOURCES.includes(r));

describe('the scope catalogue', () => {
  it('is what the generator makes of the committed OpenAPI document', () => {
    const yaml = readFileSync(
      join(import.meta.dirname, '../../test/fixtures/voipbin-openapi/openapi.yaml'),
      'utf8',
    );
    expect(VOIPBIN_RESOURCES).toEqual(resourcesOf(yaml));
    expect(VOIPBIN_RESOURCES).toEqual(expect.arrayContaining(['calls', 'messages', 'numbers']));
  });

  it("holds this service's own resources, the super-admin powers among them", () => {
    expect(RESOURCES).toEqual(expect.arrayContaining(['accesskeys', 'customer', 'customers', 'introspect']));
    expect(SUPER_ADMIN_RESOURCES).toEqual(['customers', 'introspect']);
  });
});

describe('scopeProblem', () => {
  it.each(['accesskeys:read', 'calls:write', '*:read', '*:write', 'customers:write'])(
    'accepts %s',
    (scope) => {
      expect(scopeProblem(scope)).toBeNull();
    },
  );

  it.each(['calls', 'calls:admin', 'CALLS:read', 'nothing:read', '*', ':read', 'calls:read ', 5, null])(
    'refuses %p',
    (scope) => {
      expect(scopeProblem(scope)).toEqual(expect.any(String));
    },
  );
});

describe('Rights', () => {
  it('lets write imply read, and never read imply write', () => {
    const rights = Rights.of(['calls:write', 'numbers:read']);
    expect(['calls:read', 'calls:write', 'numbers:read'].map((s) => rights.allows(s))).toEqual([
      true,
      true,
      true,
    ]);
    expect(rights.allows('numbers:write')).toBe(false);
    expect(rights.allows('messages:read')).toBe(false);
  });

  it('reads * as every customer resource, never a super-admin power', () => {
    const all = Rights.of(['*:write']);
    expect(CUSTOMER_RESOURCES.every((r) => all.allows(`${r}:write`))).toBe(true);
    expect(all.allows('customers:read')).toBe(false);
    expect(all.allows('introspect:read')).toBe(false);
  });

  it('gives each permission its rights', () => {
    const manager = Rights.forPermission(Permission.CustomerManager);
    expect(manager.allows('calls:write')).toBe(true);
    expect(manager.allows('customer:write')).toBe(true);
    expect(manager.allows('accesskeys:read')).toBe(false);
    const admin = Rights.forPermission(Permission.CustomerAdmin);
    expect(admin.allows('accesskeys:write')).toBe(true);
    expect(admin.allows('customers:read')).toBe(false);
    const superAdmin = Rights.forPermission(Permission.ProjectSuperAdmin);
    expect(superAdmin.allows('customers:write') && superAdmin.allows('introspect:write')).toBe(true);
    expect(superAdmin.allows('accesskeys:write')).toBe(true);
    const none = Rights.forPermission(0);
    expect(none.toScopes()).toEqual(['customer:write']);
  });

  it('writes the shortest scopes that say the same', () => {
    expect(normalizeScopes(['calls:read', 'calls:write', 'calls:read'])).toEqual(['calls:write']);
    expect(normalizeScopes(['*:write', 'calls:read', 'customers:read'])).toEqual([
      '*:write',
      'customers:read',
    ]);
    expect(normalizeScopes(['*:read', 'calls:write', 'numbers:read'])).toEqual(['*:read', 'calls:write']);
    expect(normalizeScopes(CUSTOMER_RESOURCES.map((r) => `${r}:write`))).toEqual(['*:write']);
    expect(normalizeScopes([])).toEqual([]);
  });

  it('names what one holds beyond the other', () => {
    expect(Rights.of(['calls:write', 'numbers:read']).beyond(Rights.of(['calls:read']))).toEqual([
      'calls:write',
      'numbers:read',
    ]);
  });
});

const scope = fc
  .tuple(fc.constantFrom('*', ...RESOURCES), fc.constantFrom('read', 'write'))
  .map(([r, l]) => `${r}:${l}`);
const scopes = fc.array(scope, { maxLength: 8 });

describe('Rights, for any scopes', () => {
  it('keeps meaning the same through normalisation', () => {
    fc.assert(
      fc.property(scopes, fc.constantFrom(...RESOURCES), fc.constantFrom('read', 'write'), (s, r, l) => {
        const scope = `${r}:${l}`;
        expect(Rights.of(normalizeScopes(s)).allows(scope)).toBe(Rights.of(s).allows(scope));
        expect(normalizeScopes(normalizeScopes(s))).toEqual(normalizeScopes(s));
      }),
    );
  });

  it('never lets *:read, or any read-only scopes, allow a write', () => {
    const readOnly = fc.array(fc.constantFrom('*', ...RESOURCES).map((r) => `${r}:read`));
    fc.assert(
      fc.property(readOnly, fc.constantFrom(...RESOURCES), (s, r) => {
        expect(Rights.of(s).allows(`${r}:write`)).toBe(false);
      }),
    );
  });

  it('keeps every key of a chain of mints within its root: a mint beyond its parent is refused', () => {
    // Each step asks for random scopes; the rule is the one access-key creation applies.
    fc.assert(
      fc.property(scopes, fc.array(scopes, { maxLength: 10 }), (root, asks) => {
        const rootRights = Rights.of(root);
        let parent = rootRights;
        for (const ask of asks) {
          const child = Rights.of(ask);
          if (child.within(parent)) parent = child;
          else expect(child.beyond(parent).length).toBeGreaterThan(0);
          expect(parent.within(rootRights)).toBe(true);
        }
      }),
    );
  });

  it('intersects to what both allow, and no more', () => {
    fc.assert(
      fc.property(
        scopes,
        scopes,
        fc.constantFrom(...RESOURCES),
        fc.constantFrom('read', 'write'),
        (a, b, r, l) => {
          const both = Rights.of(a).intersect(Rights.of(b));
          const scope = `${r}:${l}`;
          expect(both.allows(scope)).toBe(Rights.of(a).allows(scope) && Rights.of(b).allows(scope));
          expect(both.within(Rights.of(a)) && both.within(Rights.of(b))).toBe(true);
        },
      ),
    );
  });
});
