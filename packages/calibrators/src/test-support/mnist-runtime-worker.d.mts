import type { ObservableModel } from '../index.js';

export function createModel(options: { modelPath: string }): Promise<ObservableModel>;
