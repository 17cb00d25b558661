import { describe, expect, it } from 'vitest';
import { attrFloat, attrInt, attrInts, attrString, attrBigInt, attrFloats, attrTensor, floatAttr, intAttr, intsAttr, stringAttr, getAttr } from './attrs.js';
import { NodeError } from './errors-pass.js';
import type { Node } from './types.js';

const node: Node = {
  id: 'n0', name: 'conv1', opType: 'Conv', domain: '', inputs: ['x', 'w'], outputs: ['y'],
  attributes: [intAttr('group', 2), intsAttr('pads', [1, 1, 0, 0]), floatAttr('alpha', 0.1), stringAttr('auto_pad', 'NOTSET'),
    { name: 'huge', type: 'int', value: 1n << 60n }],
};

describe('attribute helpers', () => {
  it('read typed values and defaults', () => {
    expect(attrInt(node, 'group')).toBe(2);
    expect(attrBigInt(node, 'huge')).toBe(1n << 60n);
    expect(attrInt(node, 'missing', 7)).toBe(7);
    expect(attrInts(node, 'pads')).toEqual([1, 1, 0, 0]);
    expect(attrInts(node, 'strides', [1, 1])).toEqual([1, 1]);
    // floatAttr stores float32: 0.1 becomes 0.100000001490116... (Math.fround(0.1)).
    expect(attrFloat(node, 'alpha')).toBe(Math.fround(0.1));
    expect(attrFloats(node, 'scales', [])).toEqual([]);
    expect(attrString(node, 'auto_pad')).toBe('NOTSET');
    expect(getAttr(node, 'nope')).toBeUndefined();
  });

  it('a missing attribute without default, a wrong type, or an unsafe int is a NodeError that says where', () => {
    expect(() => attrInt(node, 'axis')).toThrow(NodeError);
    expect(() => attrInt(node, 'axis')).toThrow('node "conv1" (Conv): attribute "axis" is missing (expected int)');
    expect(() => attrFloat(node, 'group')).toThrow('node "conv1" (Conv): attribute "group" has type int, expected float');
    expect(() => attrInt(node, 'huge')).toThrow(/outside the safe integer range/);
    expect(() => attrTensor(node, 'value')).toThrow(NodeError);
    try { attrInts(node, 'alpha'); } catch (e) {
      expect(e).toMatchObject({ code: 'NODE', nodeName: 'conv1', opType: 'Conv', nodePath: ['conv1'], context: { attribute: 'alpha' } });
    }
    expect.assertions(6);
  });

  it('constructors reject unsafe numbers', () => {
    expect(() => intAttr('a', 2 ** 60)).toThrow(RangeError);
    expect(() => intAttr('a', 1.5)).toThrow(RangeError);
    expect(intAttr('a', 3n)).toEqual({ name: 'a', type: 'int', value: 3n });
  });
});
