import { ValidateIf } from 'class-validator';

/**
 * Like `@IsOptional()`, but only an absent field is skipped: an explicit `null` is validated (and
 * refused) instead of being written to a NOT NULL column.
 */
export const IsOptionalNotNull = () => ValidateIf((_object, value) => value !== undefined);

/**
 * Like `@IsOptionalNotNull()`, and an empty string is not checked either: for fields where `""`
 * means "none" (and clears the field), while any other value must have the field's format.
 */
export const IsOptionalOrEmpty = () => ValidateIf((_object, value) => value !== undefined && value !== '');
