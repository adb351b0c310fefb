import { Init1763800000000 } from './1763800000000-init';

/** Every migration, in order. Landed migrations are never edited: add a new one. */
export const MIGRATIONS = [Init1763800000000];
