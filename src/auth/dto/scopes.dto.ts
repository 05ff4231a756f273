import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';

export class ScopeResourceDto {
  @ApiProperty({ example: 'calls' })
  resource: string;

  @ApiProperty({ type: [String], example: ['calls:read', 'calls:write'] })
  scopes: string[];

  /** A super-admin power: never under `*`, only where a scope names it. */
  @ApiProperty({ example: false })
  super_admin: boolean;
}

export class ScopeCatalogueDto {
  @ApiProperty({ type: [ScopeResourceDto], description: 'Every resource a scope may name, sorted.' })
  resources: ScopeResourceDto[];

  @ApiProperty({
    type: [String],
    description: "`*` stands for every resource of the customer's own (never a super-admin one).",
    example: ['*:read', '*:write'],
  })
  wildcards: string[];
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

export class ExplainDto {
  @ApiProperty({ enum: METHODS, example: 'POST' })
  @IsString()
  @IsIn(METHODS)
  method: string;

  /** A path of this service, or of the VoIPBIN API (`/v1.0/<resource>/...`). */
  @ApiProperty({ example: '/v1.0/accesskeys' })
  @IsString()
  @MaxLength(2048)
  @Matches(/^\//, { message: 'path must start with /' })
  path: string;
}

export class ExplanationDto {
  @ApiProperty({ example: false })
  allowed: boolean;

  @ApiProperty({
    description: 'The scope the route needs; null for a public route.',
    type: String,
    nullable: true,
    example: 'accesskeys:write',
  })
  scope: string | null;

  @ApiPropertyOptional({ description: "The scope the caller's key lacks.", example: 'accesskeys:write' })
  missing_scope?: string;

  @ApiProperty({ example: "the access key's scopes do not include accesskeys:write" })
  reason: string;
}
