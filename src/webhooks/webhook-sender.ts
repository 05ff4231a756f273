import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { hostOf, publicOnlyLookup, refusedRange } from './webhook-address.js';

/** How long a receiver has to answer. */
const DELIVERY_TIMEOUT_MS = 10_000;
/** The part of a receiver's answer kept, for `last_error`. */
const EXCERPT_BYTES = 200;

export interface Attempt {
  uri: string;
  method: string;
  secret: string;
  id: string;
  at: Date;
  body: string;
  allowPrivate: boolean;
}

/** What a receiver answered: its status (null when it never did) and, on failure, why. */
export interface AttemptResult {
  ok: boolean;
  status: number | null;
  error: string | null;
}

/**
 * One signed delivery, as Standard Webhooks has it (webhook-id, webhook-timestamp, webhook-signature
 * over "id.timestamp.body"). Any 2xx is delivered; redirects are not followed (a 3xx fails); the
 * connection goes only to a public address unless `allowPrivate`.
 */
export function send(attempt: Attempt): Promise<AttemptResult> {
  const url = new URL(attempt.uri);
  const host = hostOf(url);
  if (!attempt.allowPrivate && isIP(host) !== 0) {
    const range = refusedRange(host);
    if (range !== null)
      return Promise.resolve({ ok: false, status: null, error: `address refused: ${host} (${range})` });
  }
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(attempt.body)),
    'user-agent': 'voipbin-auth-webhooks',
    'webhook-id': attempt.id,
    'webhook-timestamp': String(Math.floor(attempt.at.getTime() / 1000)),
    'webhook-signature': new Webhook(attempt.secret).sign(attempt.id, attempt.at, attempt.body),
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const req = request(
      url,
      {
        method: attempt.method || 'POST',
        headers,
        timeout: DELIVERY_TIMEOUT_MS,
        ...(!attempt.allowPrivate && { lookup: publicOnlyLookup }),
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          res.resume();
          finish({ ok: true, status, error: null });
          req.destroy();
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= EXCERPT_BYTES) res.destroy();
        });
        const done = () => {
          const excerpt = Buffer.concat(chunks)
            .subarray(0, EXCERPT_BYTES)
            .toString('utf8')
            .replace(/\s+/g, ' ');
          finish({
            ok: false,
            status,
            error: `HTTP ${status}${excerpt ? `: ${excerpt}` : ''}`.slice(0, 255),
          });
        };
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    req.on('timeout', () => {
      req.destroy();
      finish({ ok: false, status: null, error: `no answer in ${DELIVERY_TIMEOUT_MS / 1000} s` });
    });
    req.on('error', (error) => finish({ ok: false, status: null, error: error.message.slice(0, 255) }));
    req.end(attempt.body);
  });
}
