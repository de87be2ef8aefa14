import type { KekProvider, WrappedDataKey } from './kek-provider.js';

/**
 * Wraps a KEK provider and counts its calls (each one is a Key Vault operation in Azure: latency and
 * money). Tests and the bench install it as the `kek` service to prove which paths never call the KEK.
 */
export class CountingKekProvider implements KekProvider {
  wraps = 0;
  unwraps = 0;

  constructor(private readonly inner: KekProvider) {}

  get kind(): KekProvider['kind'] {
    return this.inner.kind;
  }

  get calls(): number {
    return this.wraps + this.unwraps;
  }

  wrapKey(dataKey: Buffer): Promise<WrappedDataKey> {
    this.wraps += 1;
    return this.inner.wrapKey(dataKey);
  }

  unwrapKey(wrapped: WrappedDataKey): Promise<Buffer> {
    this.unwraps += 1;
    return this.inner.unwrapKey(wrapped);
  }

  reset(): void {
    this.wraps = 0;
    this.unwraps = 0;
  }
}
