/**
 * Backend selection. 'js' runs the scalar TypeScript reference kernels of @lowbit/kernels. 'wasm' and 'native'
 * (the @lowbit/kernels-wasm and @lowbit/kernels-native packages) are not part of this build yet: asking for one
 * explicitly is a BackendUnavailableError; 'auto' notes it as a diagnostic and uses 'js'.
 */
import { createReferenceRegistry, type Isa, type KernelRegistry } from '@lowbit/kernels';
import { BackendUnavailableError, SessionOptionError } from './errors.js';

export type BackendName = 'js' | 'wasm' | 'native';

export interface ChosenBackend {
  readonly name: BackendName;
  readonly registry: KernelRegistry;
  /** ISAs the chosen registry may use on this machine. */
  readonly available: readonly Isa[];
  readonly diagnostics: string[];
}

const AVAILABLE: readonly BackendName[] = ['js'];

export function selectBackend(requested: 'auto' | BackendName, registry: KernelRegistry | undefined): ChosenBackend {
  switch (requested) {
    case 'js':
      return { name: 'js', registry: registry ?? createReferenceRegistry(), available: ['scalar'], diagnostics: [] };
    case 'auto':
      return {
        name: 'js', registry: registry ?? createReferenceRegistry(), available: ['scalar'],
        diagnostics: ['backend auto: the wasm and native kernel packages are not installed; using the js (scalar reference) backend'],
      };
    case 'wasm':
      throw new BackendUnavailableError({ backend: 'wasm', available: AVAILABLE }, 'the @lowbit/kernels-wasm package is not part of this build');
    case 'native':
      throw new BackendUnavailableError({ backend: 'native', available: AVAILABLE }, 'the @lowbit/kernels-native addon is not part of this build');
    default:
      throw new SessionOptionError({ option: 'backend', expected: "'auto' | 'js' | 'wasm' | 'native'", actual: JSON.stringify(requested) });
  }
}
