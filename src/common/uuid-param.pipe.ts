import { Injectable, type PipeTransform } from '@nestjs/common';
import { isUUID } from 'class-validator';
import { ApiError } from './api-error.js';

/** `{id}` path parameters: anything but a UUID is `400 INVALID_ID`, before any query. */
@Injectable()
export class UuidParamPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isUUID(value)) throw ApiError.invalidId();
    return value.toLowerCase();
  }
}
