import { CreateDateColumn, UpdateDateColumn } from 'typeorm';

/** Every table records when a row was created and last changed (timestamptz, never naive times). */
export abstract class TimestampedEntity {
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}

/** Column options for money: exact numeric yuan with two decimals (never a float). */
export const MONEY = { type: 'numeric', precision: 16, scale: 2 } as const;
