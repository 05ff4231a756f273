import { describe, expect, it } from '@jest/globals';
import { unsupportedNode } from './runtime.js';

describe('unsupportedNode', () => {
  it.each(['20.19.0', '20.20.2', '22.12.0', '24.0.0', '24.22.3', '26.1.0'])('accepts %s', (version) => {
    expect(unsupportedNode(version)).toBeUndefined();
  });

  it.each(['20.18.3', '20.0.0', '18.20.8', '16.20.2'])(
    'refuses %s in one line naming both versions',
    (version) => {
      expect(unsupportedNode(version)).toBe(
        `voipbin-auth needs Node.js 20.19 or later (24 LTS recommended); this is Node.js ${version}.`,
      );
    },
  );

  it('reads the running Node by default, which the tests run on', () => {
    expect(unsupportedNode()).toBeUndefined();
  });
});
