import { describe, expect, it } from '@jest/globals';
import { IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { ApiError } from './api-error.js';
import { createValidationPipe } from './validation.pipe.js';

class Body {
  @IsInt()
  @Min(10)
  @Max(20)
  count: number;

  @IsString()
  @MaxLength(3)
  name: string;
}

async function detailsOf(value: object) {
  const thrown = await createValidationPipe()
    .transform(value, { type: 'body', metatype: Body })
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  expect(thrown).toBeInstanceOf(ApiError);
  return (thrown as ApiError).details;
}

describe('the validation pipe', () => {
  it('tells each field the first of its rules that fails, in the order they are written', async () => {
    expect(await detailsOf({ count: '15', name: 5 })).toEqual([
      { field: 'count', message: 'count must be an integer number' },
      { field: 'name', message: 'name must be a string' },
    ]);
    expect(await detailsOf({ count: 25, name: 'long' })).toEqual([
      { field: 'count', message: 'count must not be greater than 20' },
      { field: 'name', message: 'name must be shorter than or equal to 3 characters' },
    ]);
  });

  it('refuses unknown fields by name', async () => {
    expect(await detailsOf({ count: 15, name: 'a', extra: 1 })).toEqual([
      { field: 'extra', message: 'property extra should not exist' },
    ]);
  });
});
