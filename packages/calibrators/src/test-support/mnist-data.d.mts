import type { Feeds } from '../index.js';

export function mnistFeeds(idxGzPath: string, count: number): Feeds[];
