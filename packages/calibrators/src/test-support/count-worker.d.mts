import type { Calibrator, ObservableModel } from '../index.js';

export function createModel(options?: unknown): ObservableModel;
export const valueCount: Calibrator<number, unknown>;
export const calibrators: Record<string, Calibrator<number, unknown>>;
