import { randomBytes } from 'node:crypto';

/** One id per run, in the name of every database the run makes (databases.ts), so that its teardown drops those only. */
export default function globalSetup() {
  process.env.TEST_RUN_ID ??= randomBytes(3).toString('hex');
}
