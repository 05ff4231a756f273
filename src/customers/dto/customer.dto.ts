import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { NEXT_PAGE_TOKEN } from '../../common/page.dto.js';
import { WEBHOOK_METHODS } from './update-profile.dto.js';

/**
 * A customer, in VoIPBIN's field order, with this service's `username` and `permission`; the
 * password hash never leaves the database.
 */
export class CustomerDto {
  @ApiProperty({ format: 'uuid', example: 'a1d9b2cd-4578-4b23-91b6-5f5ec4a2f840' })
  id: string;

  @ApiProperty({ example: 'admin' })
  username: string;

  @ApiProperty({ example: 'Admin' })
  name: string;

  @ApiProperty({ example: 'admin account' })
  detail: string;

  @ApiPropertyOptional({
    format: 'email',
    description: 'Absent while the customer has none (VoIPBIN leaves empty fields out; "" is no address).',
    example: 'admin@acme.com',
  })
  email?: string;

  @ApiProperty({ description: 'E.164, or "" for none.', example: '+14155551234' })
  phone_number: string;

  @ApiProperty({ example: '123 Main St, San Francisco, CA 94105' })
  address: string;

  @ApiProperty({ enum: WEBHOOK_METHODS, example: 'POST' })
  webhook_method: string;

  @ApiProperty({ example: 'https://api.acme.com/webhooks/voipbin' })
  webhook_uri: string;

  @ApiProperty({
    description: 'Permission bits: 1 project super admin, 32 customer admin, 64 customer manager.',
    example: 32,
  })
  permission: number;

  @ApiProperty({ format: 'date-time', example: '2026-12-01T10:15:30.123Z' })
  tm_create: string;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: null })
  tm_update: string | null;

  @ApiProperty({ format: 'date-time', nullable: true, type: String, example: null })
  tm_delete: string | null;
}

/** The caller's own customer: the fields above, and whether its login needs a second factor. */
export class OwnCustomerDto extends CustomerDto {
  @ApiProperty({ description: 'Whether logging in needs a TOTP code (see POST /v1.0/customer/totp).' })
  totp_enabled: boolean;
}

export class CustomerPageDto {
  @ApiProperty({ type: [CustomerDto], description: 'Newest first.' })
  result: CustomerDto[];

  @ApiProperty(NEXT_PAGE_TOKEN)
  next_page_token: string;
}
