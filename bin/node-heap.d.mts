export declare const HEAP_GROWING_PERCENT: number;
export declare function heapFlags(execArgv: readonly string[], env: Record<string, string | undefined>): string[];
export declare function tuneNodeHeap(execArgv?: readonly string[], env?: Record<string, string | undefined>): void;
