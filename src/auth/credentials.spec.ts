import { describe, expect, it } from '@jest/globals';
import type { FastifyRequest } from 'fastify';
import { credentialOf } from './credentials.js';

const req = (parts: { authorization?: string; query?: object; cookie?: string }) =>
  ({
    headers: parts.authorization === undefined ? {} : { authorization: parts.authorization },
    query: parts.query ?? {},
    cookies: parts.cookie === undefined ? {} : { token: parts.cookie },
  }) as unknown as FastifyRequest;

describe('credentialOf', () => {
  it('finds nothing when no source is present', () => {
    expect(credentialOf(req({}))).toBeNull();
  });

  it('reads a Bearer JWT, or a Bearer access key by its vb_ prefix', () => {
    expect(credentialOf(req({ authorization: 'Bearer eyJ.a.b' }))).toEqual({
      kind: 'jwt',
      value: 'eyJ.a.b',
      source: 'authorization',
    });
    expect(credentialOf(req({ authorization: 'bearer vb_abc' }))).toEqual({
      kind: 'accesskey',
      value: 'vb_abc',
      source: 'authorization',
    });
  });

  it('takes the first present source: header, ?token=, ?accesskey=, cookie', () => {
    const all = { authorization: 'Bearer h', query: { token: 't', accesskey: 'vb_k' }, cookie: 'c' };
    expect(credentialOf(req(all))).toEqual({ kind: 'jwt', value: 'h', source: 'authorization' });
    expect(credentialOf(req({ ...all, authorization: undefined }))).toEqual({
      kind: 'jwt',
      value: 't',
      source: 'query',
    });
    expect(credentialOf(req({ query: { accesskey: 'vb_k' }, cookie: 'c' }))).toEqual({
      kind: 'accesskey',
      value: 'vb_k',
      source: 'query',
    });
    expect(credentialOf(req({ cookie: 'c' }))).toEqual({ kind: 'jwt', value: 'c', source: 'cookie' });
  });

  it('keeps a present but malformed credential as an empty value, so it fails instead of falling back', () => {
    expect(credentialOf(req({ authorization: 'Basic dXNlcjpwYXNz', query: { token: 't' } }))).toEqual({
      kind: 'jwt',
      value: '',
      source: 'authorization',
    });
    expect(credentialOf(req({ authorization: 'Bearer', query: { token: 't' } }))).toEqual({
      kind: 'jwt',
      value: '',
      source: 'authorization',
    });
    expect(credentialOf(req({ query: { token: ['a', 'b'], accesskey: 'vb_k' } }))).toEqual({
      kind: 'jwt',
      value: '',
      source: 'query',
    });
  });
});
