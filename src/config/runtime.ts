/**
 * Why this Node.js cannot run the service, in one line, or `undefined` when it can. 20.19 is the
 * first Node 20 that loads an ES module with `require()` by default, which dependencies rely on.
 * Callers check it before they import anything else: an older Node fails on those imports
 * themselves, with an error that names neither version.
 */
export function unsupportedNode(version: string = process.versions.node): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  if (major > 20 || (major === 20 && minor >= 19)) return undefined;
  return `voipbin-auth needs Node.js 20.19 or later (24 LTS recommended); this is Node.js ${version}.`;
}
