import type { ObservableModel } from '@lowbit/calibrators';

export function createModel(options: { modelPath: string }): Promise<ObservableModel>;
