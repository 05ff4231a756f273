import { ApiProperty } from '@nestjs/swagger';

/** A customer; the password hash never leaves the database. */
export class CustomerDto {
  @ApiProperty({ format: 'uuid', example: 'a1d9b2cd-4578-4b23-91b6-5f5ec4a2f840' })
  id: string;

  @ApiProperty({ example: 'admin' })
  username: string;

  @ApiProperty({ example: 'Admin' })
  name: string;

  @ApiProperty({ example: 'admin account' })
  detail: string;

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

export class CustomerPageDto {
  @ApiProperty({ type: [CustomerDto], description: 'Newest first.' })
  result: CustomerDto[];

  @ApiProperty({
    description: 'Pass as `page_token` for the next page; empty on the last page.',
    example: '',
  })
  next_page_token: string;
}
