export { LowbitError, invariant } from './lowbit-error.js';
export type { LowbitErrorOptions } from './lowbit-error.js';
