import { describe, expect, it } from '@jest/globals';
import { cidrProblem, inNetworks, networkOf, networkWithin, normalizeCidr } from './networks.js';

describe('networks', () => {
  it('accepts IPv4 and IPv6 CIDRs and nothing else', () => {
    for (const ok of ['203.0.113.0/24', '10.0.0.1/32', '2001:db8::/32', '::1/128'])
      expect(cidrProblem(ok)).toBeNull();
    for (const bad of ['203.0.113.0', '203.0.113.0/33', 'example.com/24', '', 5, '2001:db8::/129']) {
      expect(cidrProblem(bad)).toEqual(expect.any(String));
    }
  });

  it('keeps a CIDR as its network address', () => {
    expect(normalizeCidr('10.1.2.3/8')).toBe('10.0.0.0/8');
    expect(normalizeCidr('2001:db8::1/32')).toBe('2001:db8::/32');
  });

  it('places a client address, an IPv4-mapped IPv6 one included', () => {
    expect(inNetworks('203.0.113.7', ['203.0.113.0/24'])).toBe(true);
    expect(inNetworks('::ffff:203.0.113.7', ['203.0.113.0/24'])).toBe(true);
    expect(inNetworks('203.0.114.7', ['203.0.113.0/24'])).toBe(false);
    expect(inNetworks('2001:db8::5', ['203.0.113.0/24', '2001:db8::/32'])).toBe(true);
    expect(inNetworks('garbage', ['0.0.0.0/0'])).toBe(false);
  });

  it('tells whether a network lies inside another', () => {
    expect(networkWithin('10.1.0.0/16', ['10.0.0.0/8'])).toBe(true);
    expect(networkWithin('10.0.0.0/8', ['10.1.0.0/16'])).toBe(false);
    expect(networkWithin('11.0.0.0/16', ['10.0.0.0/8'])).toBe(false);
    expect(networkWithin('2001:db8:1::/48', ['10.0.0.0/8', '2001:db8::/32'])).toBe(true);
  });
});

describe('networkOf', () => {
  it('gives the /24 of an IPv4 address (mapped ones included) and the /48 of an IPv6 one', () => {
    expect(networkOf('198.51.100.77')).toBe('198.51.100.0/24');
    expect(networkOf('::ffff:198.51.100.77')).toBe('198.51.100.0/24');
    expect(networkOf('2001:db8:1:2:3::4')).toBe('2001:db8:1::/48');
    expect(networkOf('not an address')).toBeNull();
  });
});
