import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import type { ApiError } from './api-error.js';
import { ErrorEnvelopeDto } from './error-envelope.dto.js';
import type { ErrorEnvelope } from './error-envelope.js';

/** The request id shown in the examples (a real answer carries the request's own). */
const EXAMPLE_REQUEST_ID = 'req_3f0c9a5e8b7d4c21a6e0f4b2d9c8e7a1';

function exampleEnvelope(error: ApiError): ErrorEnvelope {
  return {
    error: {
      status: error.statusName,
      reason: error.reason,
      message: error.message,
      request_id: EXAMPLE_REQUEST_ID,
      details: error.details,
    },
  };
}

/**
 * Documents the error answers of a route (or of every route of a controller) as the envelope: one
 * response per HTTP status, with an example per reason. Pass the errors the code throws, made by
 * the same factories, so that the documentation cannot drift from what is sent.
 */
export function ApiErrors(...errors: ApiError[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ApiError[]>();
  for (const error of errors) {
    byStatus.set(error.getStatus(), [...(byStatus.get(error.getStatus()) ?? []), error]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, list]) =>
      ApiResponse({
        status,
        type: ErrorEnvelopeDto,
        description: list.map((error) => `\`${error.reason}\`: ${error.message}`).join('<br>'),
        examples: Object.fromEntries(
          list.map((error) => [error.reason, { summary: error.reason, value: exampleEnvelope(error) }]),
        ),
      }),
    ),
  );
}
