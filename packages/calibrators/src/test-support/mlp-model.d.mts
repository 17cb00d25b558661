import type { Feeds, ObservableModel } from '../index.js';

export function xorshift(seed: number): () => number;
export function createModel(options?: { seed?: number; failOn?: number }): ObservableModel;
export function makeFeeds(count: number, rows?: number, seed?: number): Feeds[];
export function forward(xData: Float32Array, rows: number, seed?: number): { h: Float32Array; y: Float32Array };
