import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class IntrospectDto {
  /** The credential to check: a login JWT, or an access key (`vb_...`). */
  @ApiProperty({ example: 'vb_a3Bf9xKmPq2nR7sT4wYzLp8mN5qR1xWe3kZ9Qa' })
  @IsString()
  @MaxLength(8192)
  token: string;
}

/** RFC 7662's answer: `active` alone when the credential would not authenticate a request. */
export class IntrospectionDto {
  /** Whether the credential authenticates a request now, on every check authentication applies. */
  @ApiProperty({ example: true })
  active: boolean;

  @ApiPropertyOptional({ example: 'a1d9b2cd-3c4e-4f5a-8b6c-7d8e9f0a1b2c' })
  customer_id?: string;

  @ApiPropertyOptional({ example: 'reporting' })
  username?: string;

  /** The customer's permission bits. */
  @ApiPropertyOptional({ example: 32 })
  permission?: number;

  @ApiPropertyOptional({ enum: ['jwt', 'accesskey'], example: 'accesskey' })
  token_type?: 'jwt' | 'accesskey';

  /** When it stops working, in seconds since the epoch. */
  @ApiPropertyOptional({ example: 1830000000 })
  exp?: number;

  /** What it may do now, space-separated (RFC 7662): `*:write` is the customer's admin. */
  @ApiPropertyOptional({ example: 'calls:read numbers:read' })
  scope?: string;

  /** An access key's networks; empty: anywhere. */
  @ApiPropertyOptional({ type: [String], example: ['203.0.113.0/24'] })
  allowed_cidrs?: string[];

  /** Present (true) for an access key a leak report quarantined: `scope` is then read only. */
  @ApiPropertyOptional({ example: true })
  quarantined?: boolean;
}

export class JwksDto {
  /** The ES256 public keys that verify login JWTs, by `kid`; empty under HS256. */
  @ApiProperty({
    example: [
      {
        kty: 'EC',
        crv: 'P-256',
        x: '...',
        y: '...',
        kid: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
        alg: 'ES256',
        use: 'sig',
      },
    ],
  })
  keys: Record<string, string>[];
}
