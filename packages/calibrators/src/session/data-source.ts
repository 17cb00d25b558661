import { CalibrationError } from '../core/errors.js';
import type { CalibrationData, CalibrationDataReader, Feeds } from './model.js';

function isReader(d: unknown): d is CalibrationDataReader {
  return typeof d === 'object' && d !== null && typeof (d as CalibrationDataReader).getNext === 'function';
}

/**
 * Reads the calibration data once, from the start. `pass` counts the reads: the second read of a reader calls
 * `rewind()`; the second read of a plain iterable is refused (it may be a one-shot generator), so two-pass methods
 * need a reader with `rewind`, a re-iterable collection, or a function returning a fresh iterable.
 */
export async function* readFeeds(data: CalibrationData, pass: number): AsyncGenerator<Feeds> {
  if (isReader(data)) {
    if (pass > 0) {
      if (typeof data.rewind !== 'function') {
        throw new CalibrationError('calibration data: a two-pass method needs to read the data again, but the reader has no rewind()');
      }
      await data.rewind();
    }
    for (;;) {
      const next = await data.getNext();
      if (next === null || next === undefined) return;
      yield next;
    }
  }
  let source: AsyncIterable<Feeds> | Iterable<Feeds>;
  if (typeof data === 'function') source = data();
  else {
    source = data;
    const oneShot = typeof (data as { next?: unknown }).next === 'function';
    if (pass > 0 && oneShot) {
      throw new CalibrationError('calibration data: a two-pass method needs to read the data again, but it is a one-shot iterator; pass a function returning a fresh iterable or a reader with rewind()');
    }
  }
  if (typeof source !== 'object' || source === null) {
    throw new CalibrationError(`calibration data: expected a CalibrationDataReader, an iterable or async iterable of feeds, or a function returning one; got ${source === null ? 'null' : typeof source}`);
  }
  if (Symbol.asyncIterator in source) {
    for await (const f of source as AsyncIterable<Feeds>) yield f;
  } else if (Symbol.iterator in source) {
    for (const f of source as Iterable<Feeds>) yield f;
  } else {
    throw new CalibrationError('calibration data: expected a CalibrationDataReader, an iterable or async iterable of feeds, or a function returning one');
  }
}
