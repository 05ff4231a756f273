import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ApiError, type ErrorDetail } from './api-error.js';

/**
 * One detail per offending field: the first of its rules, as written, that fails. class-validator
 * runs a property's rules bottom-up (the order decorators apply), so its first failure of a string
 * sent for `@IsInt() @Min() @Max()` is "must not be greater than"; the last is "must be an integer".
 */
function flatten(errors: ValidationError[], parent = ''): ErrorDetail[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const first = Object.values(error.constraints ?? {}).at(-1);
    const own = first === undefined ? [] : [{ field, message: first }];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * Strict validation for every body, query and param DTO: unknown fields are refused, not dropped,
 * and each offending field is listed in `details`. Every rule of a field runs (`stopAtFirstError`
 * would stop at the last one written; see `flatten`).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => ApiError.invalidArgument(flatten(errors)),
  });
}
