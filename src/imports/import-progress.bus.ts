import { EventEmitter } from 'node:events';
import { Injectable } from '@nestjs/common';

export interface ImportProgressEvent {
  importId: string;
  phase: string;
  done: number;
  total: number;
}

/** In-process progress of running imports (the CLI draws its progress bar from it). */
@Injectable()
export class ImportProgressBus extends EventEmitter {
  emitProgress(e: ImportProgressEvent) {
    this.emit('progress', e);
  }
}
