import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from '@jest/globals';
import { Ajv, type AnySchema, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

/** VoIPBIN's own schemas, copied with their licence and commit (see the README there). */
const DIR = join(import.meta.dirname, '..', 'fixtures', 'voipbin-openapi');
const COMPONENT = '#/components/schemas/';

// ajv-formats is CommonJS: its `module.exports` is the plugin, which also carries itself as `default`.
const addFormats = addFormatsModule.default;

const ajv = new Ajv({ allErrors: true });
addFormats(ajv);
// OpenAPI's annotations beside the schema keywords: known, so that strict mode refuses only typos.
ajv.addVocabulary(['example', 'x-go-type', 'x-enum-varnames']);

type Yaml = Record<string, unknown>;
const read = (file: string): Yaml => parse(readFileSync(join(DIR, file), 'utf8')) as Yaml;

/** The schema with each `#/components/schemas/X` made the id this module registers X under. */
function resolved(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(resolved);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' && value.startsWith(COMPONENT)
        ? `voipbin:${value.slice(COMPONENT.length)}`
        : resolved(value),
    ]),
  );
}

const components = (read('components.yaml').components as { schemas: Record<string, Yaml> }).schemas;
// VoIPBIN's server sends `null` for the tm_update and tm_delete of an object not yet updated or
// deleted; its spec (OpenAPI 3.0, no `nullable`) does not say so. Nothing else may be null.
for (const name of ['CustomerManagerAccesskey', 'CustomerManagerCustomer']) {
  const properties = components[name]!.properties as Record<string, Yaml>;
  for (const field of ['tm_update', 'tm_delete']) properties[field]!.nullable = true;
}
for (const [name, schema] of Object.entries(components)) {
  ajv.addSchema(resolved(schema) as AnySchema, `voipbin:${name}`);
}

/** A customer's answer: VoIPBIN's field order, with this service's `username` and `permission` where they always were. */
export const CUSTOMER_FIELDS = [
  'id',
  'username',
  'name',
  'detail',
  'email',
  'phone_number',
  'address',
  'webhook_method',
  'webhook_uri',
  'permission',
  'tm_create',
  'tm_update',
  'tm_delete',
];

export type Component =
  'CustomerManagerAccesskey' | 'CustomerManagerCustomer' | 'ErrorResponse' | 'AuthLoginResponse';

/** A component schema of VoIPBIN's document. */
export const component = (name: Component): ValidateFunction => ajv.getSchema(`voipbin:${name}`)!;

type Operation = {
  requestBody?: { content: { 'application/json': { schema: { required?: string[] } } } };
  responses: Record<string, { content?: { 'application/json': { schema: unknown } } }>;
};
const operation = (file: string, method: string): Operation => read(`paths/${file}`)[method] as Operation;

/** The schema of an operation's 200 answer, from one of VoIPBIN's path files (`accesskeys/main.yaml`). */
export function answerOf(file: string, method: string): ValidateFunction {
  const content = operation(file, method).responses['200']!.content;
  if (content === undefined) throw new Error(`VoIPBIN documents no 200 body for ${method} ${file}`);
  return ajv.compile(resolved(content['application/json'].schema) as AnySchema);
}

/** The fields VoIPBIN requires in an operation's JSON body. */
export const requiredFields = (file: string, method: string): string[] =>
  operation(file, method).requestBody?.content['application/json'].schema.required ?? [];

/** Asserts that `body` matches `validate`, listing every mismatch when it does not. */
export function expectMatches(validate: ValidateFunction, body: unknown): void {
  validate(body);
  expect(validate.errors ?? []).toEqual([]);
}
