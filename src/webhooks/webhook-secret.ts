import { randomBytes } from 'node:crypto';

/** A new secret as Standard Webhooks writes it: `whsec_` and the base64 of 24 random bytes. */
export const newWebhookSecret = () => `whsec_${randomBytes(24).toString('base64')}`;
