import { Module, type DynamicModule } from '@nestjs/common';
import { AppConfig } from './app-config.js';

/** The configuration, loaded once by the entry point (main.ts, cli.ts, a test) and handed to every module. */
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      global: true,
      providers: [{ provide: AppConfig, useValue: config }],
      exports: [AppConfig],
    };
  }
}
