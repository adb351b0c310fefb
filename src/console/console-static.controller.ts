import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Public } from '../accounts/roles';
import { ViewRenderer } from './view-renderer.service';

/** The console's one stylesheet (read from src/, as templates are). */
@ApiExcludeController()
@Controller('console/static')
export class ConsoleStaticController {
  private readonly css: string;

  constructor(views: ViewRenderer) {
    this.css = readFileSync(join(views.root, 'src', 'console', 'static', 'console.css'), 'utf8');
  }

  @Public()
  @Get('console.css')
  css_(@Res() res: Response) {
    res.type('text/css; charset=utf-8');
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.send(this.css);
  }
}
