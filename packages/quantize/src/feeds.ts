/** Iterates any CalibrationData form (reader, iterable, async iterable, factory) once. */
import type { CalibrationData, Feeds } from '@lowbit/calibrators';

export async function* readFeeds(data: CalibrationData): AsyncGenerator<Feeds> {
  const src = typeof data === 'function' ? data() : data;
  if ('getNext' in src && typeof src.getNext === 'function') {
    for (;;) {
      const f = await src.getNext();
      if (f === null || f === undefined) return;
      yield f;
    }
  }
  for await (const f of src as AsyncIterable<Feeds> | Iterable<Feeds>) yield f;
}
