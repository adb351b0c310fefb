import { INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cookieParser from 'cookie-parser';
import { AccountsService } from './accounts/accounts.service';
import { requireRoles } from './accounts/require-roles';
import { SESSION_COOKIE } from './accounts/session-cookie';
import { mountQueueBoard } from './admin/queue-board';
import { AppConfig } from './config/config';
import { AppModule, ProcessRole } from './app.module';
import { DomainExceptionFilter } from './common/domain-exception.filter';
import { ConsolePageFilter } from './console/console-exception.filter';
import { consoleSecurityHeaders } from './console/console-security';
import { ViewRenderer } from './console/view-renderer.service';

/** Builds and starts the HTTP application (API, OpenAPI at /api/docs). */
export async function startHttp(config: AppConfig, role: Extract<ProcessRole, 'api' | 'all'>): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, role), {
    logger: loggerLevels(config),
    bodyParser: false,
  });
  // Security headers first (CSP without scripts for pages; /api/docs and /admin/queues keep theirs).
  app.use(consoleSecurityHeaders(config));
  app.useBodyParser('json', { limit: '50mb' });
  // Console forms post urlencoded (with their _csrf field); the access guard reads the session cookie.
  app.useBodyParser('urlencoded', { extended: false, limit: '1mb' });
  app.use(cookieParser());
  // Page requests get error pages (403, 404, login redirect); the API keeps its JSON errors.
  app.useGlobalFilters(new ConsolePageFilter(app.get(ViewRenderer), new DomainExceptionFilter()));
  app.enableShutdownHooks();
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('FundGuard API')
      .setDescription('Medical-insurance fund supervision: claims import, screening, cases, credit, inspections, disclosure.')
      .setVersion('0.1.0')
      .addBearerAuth()
      .addCookieAuth(SESSION_COOKIE)
      // Either one: a bearer token (scripts) or the session cookie (the console).
      .addSecurityRequirements('bearer')
      .addSecurityRequirements('cookie')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, doc, { jsonDocumentUrl: 'api/docs/openapi.json' });
  // Bull Board over the BullMQ queues, for admins (in-process jobs have no queue: /console/queues shows their counts).
  if (!config.queue.inProcess) mountQueueBoard(app, requireRoles(app.get(AccountsService), ['admin']));
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
