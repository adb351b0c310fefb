import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Actor } from '../accounts/roles';
import { CaseDecision, SupervisionCase } from './case.entities';

/** A case whose decision became final (no appeal in time, appeal waived, or an appeal upheld or amended). */
export interface CaseFinalEvent {
  case: SupervisionCase;
  /** The decision in force (an amended one when the appeal amended it). */
  decision: CaseDecision;
  /** The categories of the case's confirmed findings (empty for a risk case without findings). */
  confirmedCategories: string[];
  /** The severities (low, medium, high) among the case's confirmed findings. */
  confirmedSeverities: string[];
  actor: Actor;
  ip: string | null;
  at: Date;
}

/** Reacts to a final decision inside the transaction that made it final (its writes commit or roll back with it). */
export type CaseFinalListener = (m: EntityManager, e: CaseFinalEvent) => Promise<void>;

/**
 * What other modules learn from cases, without cases knowing them: credit deducts points and the
 * physicians' record adds points when a decision becomes final. Listeners register at module init.
 */
@Injectable()
export class CaseEvents {
  private readonly finalListeners: { name: string; listener: CaseFinalListener }[] = [];

  onFinal(name: string, listener: CaseFinalListener): void {
    if (this.finalListeners.some((l) => l.name === name)) throw new Error(`a case-final listener named ${name} is already registered`);
    this.finalListeners.push({ name, listener });
  }

  /** Runs every listener in registration order; one that throws rolls the whole step back. */
  async emitFinal(m: EntityManager, e: CaseFinalEvent): Promise<void> {
    for (const { listener } of this.finalListeners) await listener(m, e);
  }
}
