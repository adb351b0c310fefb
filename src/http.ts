import { INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppConfig } from './config/config';
import { AppModule, ProcessRole } from './app.module';
import { DomainExceptionFilter } from './common/domain-exception.filter';

/** Builds and starts the HTTP application (API, OpenAPI at /api/docs). */
export async function startHttp(config: AppConfig, role: Extract<ProcessRole, 'api' | 'all'>): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, role), {
    logger: loggerLevels(config),
    bodyParser: false,
  });
  app.useBodyParser('json', { limit: '50mb' });
  app.useGlobalFilters(new DomainExceptionFilter());
  app.enableShutdownHooks();
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('FundGuard API')
      .setDescription('Medical-insurance fund supervision: claims import, screening, cases, credit, inspections, disclosure.')
      .setVersion('0.1.0')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, doc, { jsonDocumentUrl: 'api/docs/openapi.json' });
  await app.listen(config.http.port, config.http.host);
  const addr = app.getHttpServer().address();
  const port = typeof addr === 'object' && addr ? addr.port : config.http.port;
  const url = config.http.publicUrl ?? `http://${config.http.host}:${port}`;
  new Logger('HTTP').log(`listening on ${url} (API docs: ${url}/api/docs)`);
  return { app, url };
}

export function loggerLevels(config: AppConfig): ('error' | 'warn' | 'log' | 'debug' | 'verbose')[] {
  const order = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
  return order.slice(0, order.indexOf(config.logLevel) + 1) as ('error' | 'warn' | 'log' | 'debug' | 'verbose')[];
}
