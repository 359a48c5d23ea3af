/**
 * What zarrify uses of WebAssembly, which the project's TypeScript libs (ES2022, no DOM) do not
 * declare. Undefined on an engine without WebAssembly; callers fall back or fail there.
 */
export type WasmModule = object;

export interface WasmInstance {
  exports: Record<string, unknown>;
}

export interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports?: object) => WasmInstance;
  compile(bytes: Uint8Array): Promise<WasmModule>;
}

export const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
