// Worker module for sharded.test.ts: the MLP fixture with the same tensor aliases the test's in-thread model uses
// (h2 -> h, x2 -> x, y2 -> y, y3 -> y), so every method observes its own target.
import { createModel as createMlp } from './mlp-model.mjs';

const alias = { h2: 'h', x2: 'x', y2: 'y', y3: 'y' };

export function createModel(options) {
  const base = createMlp(options);
  return {
    inputNames: base.inputNames,
    inputMetadata: base.inputMetadata,
    run: (feeds, o) =>
      base.run(feeds, {
        observe: [...new Set(o.observe.map((n) => alias[n] ?? n))],
        onValue: (name, v) => {
          for (const want of o.observe) if ((alias[want] ?? want) === name) o.onValue(want, v);
        },
      }),
  };
}
