import { ApiProperty } from '@nestjs/swagger';

export class ErrorDetailDto {
  /** The offending field. */
  @ApiProperty({ example: 'expire' })
  field: string;

  @ApiProperty({ example: 'expire must not be less than 86400' })
  message: string;
}

export class ErrorBodyDto {
  @ApiProperty({ example: 'UNAUTHENTICATED', description: 'The class of error (see docs/api.md).' })
  status: string;

  @ApiProperty({ example: 'INVALID_CREDENTIALS', description: 'Why, as a stable code.' })
  reason: string;

  @ApiProperty({ example: 'The provided credentials are invalid.' })
  message: string;

  @ApiProperty({
    example: 'req_3f0c9a5e8b7d4c21a6e0f4b2d9c8e7a1',
    description: 'Also in the X-Request-Id header.',
  })
  request_id: string;

  @ApiProperty({ type: [ErrorDetailDto] })
  details: ErrorDetailDto[];
}

/** The body of every error response. */
export class ErrorEnvelopeDto {
  @ApiProperty({ type: ErrorBodyDto })
  error: ErrorBodyDto;
}
