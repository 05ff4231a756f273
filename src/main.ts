import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import { configureApp, createAdapter } from './app.setup.js';
import { AppConfig, ConfigError, loadConfig } from './config/app-config.js';

async function bootstrap(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(); // fail before anything starts, with a message that names the variable
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createAdapter(config.trustProxy));
  await configureApp(app);
  app.enableShutdownHooks();
  await app.listen(config.port, '0.0.0.0');
}

await bootstrap();
