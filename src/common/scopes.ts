import { Permission } from './permission.js';
import { VOIPBIN_RESOURCES } from './scope-catalogue.js';

/** What a scope allows on its resource: `write` implies `read`. */
export type Level = 'read' | 'write';

/** This service's own resources. */
const SERVICE_RESOURCES = ['accesskeys', 'audit', 'customer', 'customers', 'introspect'];

/** Super-admin powers: never under the `*` wildcard, only in a scope that names them. */
export const SUPER_ADMIN_RESOURCES: readonly string[] = ['customers', 'introspect'];

/** Every resource a scope may name, sorted. */
export const RESOURCES: readonly string[] = [...new Set([...SERVICE_RESOURCES, ...VOIPBIN_RESOURCES])].sort();

/** A customer's resources that its admins reach and its managers do not. */
const ADMIN_RESOURCES: readonly string[] = ['accesskeys', 'audit'];

/** What `*` stands for: every resource of a customer's own. */
const CUSTOMER_RESOURCES = RESOURCES.filter((resource) => !SUPER_ADMIN_RESOURCES.includes(resource));

const WILDCARD = '*';
const SCOPE = /^([a-z0-9_-]+|\*):(read|write)$/;
const KNOWN = new Set(RESOURCES);

/** The scope of a key created without any: its customer's admin, on every customer resource. */
export const DEFAULT_SCOPES: readonly string[] = ['*:write'];

/** Why `value` is not a scope, or null when it is one. */
export function scopeProblem(value: unknown): string | null {
  const match = typeof value === 'string' ? SCOPE.exec(value) : null;
  if (match === null) return 'must be resource:read or resource:write';
  if (match[1] !== WILDCARD && !KNOWN.has(match[1])) return `names no resource of GET /v1.0/scopes`;
  return null;
}

/** Rights.forPermission's answers: a Rights is never changed once made. */
const BY_PERMISSION = new Map<number, Rights>();

/**
 * What a credential may do: each resource it reaches, read or write. Built from scopes (a key's),
 * or from permission bits (a customer's); a key may do what both its scopes and its customer allow.
 */
export class Rights {
  private constructor(private readonly levels: ReadonlyMap<string, Level>) {}

  /** From valid scopes (see `scopeProblem`); `*` stands for every customer resource. */
  static of(scopes: readonly string[]): Rights {
    const levels = new Map<string, Level>();
    for (const scope of scopes) {
      const [resource, level] = scope.split(':') as [string, Level];
      for (const name of resource === WILDCARD ? CUSTOMER_RESOURCES : [resource]) {
        if (levels.get(name) !== 'write') levels.set(name, level);
      }
    }
    return new Rights(levels);
  }

  /**
   * What a customer may do by its permission bits: everyone its own profile (`customer`); a
   * customer manager every customer resource but its keys and its audit log; a customer admin every customer
   * resource; a project super admin that and the super-admin powers.
   */
  static forPermission(permission: number): Rights {
    let rights = BY_PERMISSION.get(permission);
    if (rights === undefined) {
      rights = Rights.ofPermission(permission);
      // Permissions are a few bits: the cache stays small unless fed garbage, and is bounded anyway.
      if (BY_PERMISSION.size < 256) BY_PERMISSION.set(permission, rights);
    }
    return rights;
  }

  private static ofPermission(permission: number): Rights {
    const scopes = ['customer:write'];
    if (permission & Permission.CustomerManager) {
      scopes.push(...CUSTOMER_RESOURCES.filter((r) => !ADMIN_RESOURCES.includes(r)).map((r) => `${r}:write`));
    }
    if (permission & (Permission.CustomerAdmin | Permission.ProjectSuperAdmin)) scopes.push('*:write');
    if (permission & Permission.ProjectSuperAdmin)
      scopes.push(...SUPER_ADMIN_RESOURCES.map((r) => `${r}:write`));
    return Rights.of(scopes);
  }

  /** Whether `scope` (`resource:read` or `resource:write`) is allowed. */
  allows(scope: string): boolean {
    const [resource, level] = scope.split(':');
    const held = this.levels.get(resource);
    return held === 'write' || (held === 'read' && level === 'read');
  }

  /** Whether everything allowed here is allowed by `other`. */
  within(other: Rights): boolean {
    return [...this.levels].every(([resource, level]) => other.allows(`${resource}:${level}`));
  }

  /** What both allow. */
  intersect(other: Rights): Rights {
    const levels = new Map<string, Level>();
    for (const [resource, level] of this.levels) {
      const theirs = other.levels.get(resource);
      if (theirs !== undefined)
        levels.set(resource, level === 'write' && theirs === 'write' ? 'write' : 'read');
    }
    return new Rights(levels);
  }

  /** The same resources, read only. */
  readOnly(): Rights {
    return new Rights(new Map([...this.levels.keys()].map((resource) => [resource, 'read' as Level])));
  }

  /** The scopes allowed here that `other` does not allow. */
  beyond(other: Rights): string[] {
    return [...this.levels]
      .map(([resource, level]) => `${resource}:${level}`)
      .filter((scope) => !other.allows(scope))
      .sort();
  }

  /**
   * The shortest scopes that say the same, sorted: `*:write` (or `*:read`) when every customer
   * resource is allowed at that level, then each resource the wildcard does not already cover.
   */
  toScopes(): string[] {
    const all = (level: Level) => CUSTOMER_RESOURCES.every((r) => this.allows(`${r}:${level}`));
    const wildcard: Level | null = all('write') ? 'write' : all('read') ? 'read' : null;
    const scopes = wildcard === null ? [] : [`${WILDCARD}:${wildcard}`];
    for (const [resource, level] of [...this.levels].sort(([a], [b]) => a.localeCompare(b))) {
      const covered =
        wildcard !== null &&
        CUSTOMER_RESOURCES.includes(resource) &&
        (wildcard === 'write' || level === 'read');
      if (!covered) scopes.push(`${resource}:${level}`);
    }
    return scopes;
  }
}

/** Valid scopes in their shortest form (storage, and every answer, hold this form). */
export function normalizeScopes(scopes: readonly string[]): string[] {
  return Rights.of(scopes).toScopes();
}
