import { Injectable, RequestMethod, type OnModuleInit } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { IS_PUBLIC, JWT_ONLY, REQUIRED_SCOPE } from '../common/auth.decorators.js';
import { RESOURCES } from '../common/scopes.js';

/** What a route of this service asks of its caller. */
export interface RouteRule {
  method: string;
  /** As the router knows it: `/v1.0/accesskeys/:id`. */
  path: string;
  public: boolean;
  /** The scope `@Auth()` names; undefined on a protected route that names none. */
  scope?: string;
  jwtOnly: boolean;
}

/**
 * Every route's rule, read from the controllers' own metadata (the decorators the guard reads), so
 * that a route can be explained without being called.
 */
@Injectable()
export class RouteScopes implements OnModuleInit {
  private rules: (RouteRule & { pattern: RegExp })[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    this.rules = this.discovery.getControllers().flatMap(({ metatype }) => {
      if (typeof metatype !== 'function') return [];
      const base = String(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
      const prototype = metatype.prototype as Record<string, unknown>;
      const names = Object.getOwnPropertyNames(prototype).filter((name) => name !== 'constructor');
      return names.flatMap((name) => {
        const handler = prototype[name];
        if (typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined)
          return [];
        const path = `/${[base, String(Reflect.getMetadata(PATH_METADATA, handler))].join('/')}`
          .replace(/\/+/g, '/')
          .replace(/(.)\/$/, '$1');
        const targets = [handler, metatype];
        const rule: RouteRule = {
          method: RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number],
          path,
          public: this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) === true,
          scope: this.reflector.getAllAndOverride<string | undefined>(REQUIRED_SCOPE, targets),
          jwtOnly: this.reflector.getAllAndOverride<boolean>(JWT_ONLY, targets) === true,
        };
        const pattern = new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/:[^/]+/g, '[^/]+')}$`);
        return [{ ...rule, pattern }];
      });
    });
  }

  /** Every route of this service. */
  all(): RouteRule[] {
    return this.rules.map(({ pattern: _pattern, ...rule }) => rule);
  }

  /**
   * The rule of `method path`: this service's own route, else the VoIPBIN API's (`/v1.0/<resource>/...`
   * needs `<resource>:read` to read and `<resource>:write` to change), else null.
   */
  find(method: string, path: string): RouteRule | null {
    const upper = method.toUpperCase();
    const bare = path.split('?')[0];
    const own = this.rules.find((rule) => rule.method === upper && rule.pattern.test(bare));
    if (own) return own;
    const resource = /^\/v1\.0\/([^/]+)/.exec(bare)?.[1];
    if (resource === undefined || !RESOURCES.includes(resource)) return null;
    const level = upper === 'GET' || upper === 'HEAD' ? 'read' : 'write';
    return { method: upper, path: bare, public: false, scope: `${resource}:${level}`, jwtOnly: false };
  }
}
