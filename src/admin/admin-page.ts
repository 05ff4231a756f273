import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * Where the page's files are: beside this module, in src/ under the tests and in dist/ once built
 * (nest-cli.json copies them as assets).
 */
const ADMIN_PUBLIC_DIR = join(import.meta.dirname, 'public');

/**
 * The QR library the Account view draws the TOTP enrolment code with, served from this service
 * (the CSP allows 'self' only, and the secret in the code must reach no third party).
 */
const QR_MODULE = createRequire(import.meta.url).resolve('qrcode-generator');
const QR_FILE = 'qrcode.mjs';

/**
 * The admin page at /admin: static HTML, CSS and ES modules that call the public API like any
 * client. It is a plain Fastify route, outside Nest's guard, and needs no credential: the page
 * holds nothing but its own code until someone logs in through it.
 */
export async function registerAdminPage(app: NestFastifyApplication): Promise<void> {
  await app.register(fastifyStatic, {
    root: ADMIN_PUBLIC_DIR,
    prefix: '/admin',
    // Swagger registers @fastify/static too: only one registration may decorate the reply.
    decorateReply: false,
    // /admin redirects to /admin/, so that the page's relative URLs (admin.js, admin.css) resolve.
    redirect: true,
    index: 'index.html',
  });
  // Only the one file of the package's dist/ folder.
  await app.register(fastifyStatic, {
    root: dirname(QR_MODULE),
    prefix: '/admin/vendor/',
    decorateReply: false,
    index: false,
    allowedPath: (pathName) => pathName === `/${QR_FILE}`,
  });
}
