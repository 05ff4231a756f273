import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, MaxLength } from 'class-validator';

/** The most credentials one request may present. */
const MAX_REVOKED = 1000;

export class RevokeCredentialsDto {
  @ApiProperty({
    description: `Access keys found where they should not be (1 to ${MAX_REVOKED}).`,
    example: ['vb_a3Bf9xKmPq2nR7sT4wYzLp8mN5qR1xWe3kZ9Qa'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_REVOKED)
  @IsString({ each: true })
  @MaxLength(4096, { each: true })
  credentials: string[];
}
