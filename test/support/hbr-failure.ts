import { expect } from 'vitest';
import { HbrError } from '../../src/hbr/errors.js';

/** Awaits a call that must fail with an HbrError and returns that error. */
export async function hbrFailure(promise: Promise<unknown>): Promise<HbrError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(HbrError);
    return err as HbrError;
  }
  throw new Error('expected the call to fail');
}
