export declare const OUT_DIR: string;
export declare const MANIFEST: string;

export interface PrebuiltBuild {
  cli: string;
  sdk: string;
  sdkSource: string;
  plugins: Record<string, string>;
}

export declare function prebuiltBuild(root: string, outDir?: string): PrebuiltBuild | { stale: string };
