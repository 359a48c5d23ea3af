/**
 * How zarrify reaches S3 and S3-compatible services, for the archive store (zarr/store/s3.ts) and
 * for s3:// inputs (readers/remote/s3-source.ts) alike, so both find the same server the same way:
 *
 * - the SDK (about 200 ms to load) is imported on first use, so runs without S3 never load it;
 * - the endpoint from the option, else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL;
 * - path-style addressing when AWS_S3_FORCE_PATH_STYLE is "true", and by default whenever an
 *   endpoint is set (S3-compatible servers rarely have per-bucket DNS);
 * - credentials, region and profile from the SDK's default chain; a custom endpoint without a
 *   region gets us-east-1 (what such servers expect in signatures), AWS itself needs one;
 * - the SDK's own retries off (maxAttempts 1): callers retry themselves, because only they know
 *   what an attempt that may have landed means for their request.
 */
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { S3Client } from "@aws-sdk/client-s3";

export type Sdk = typeof import("@aws-sdk/client-s3");
let sdkPromise: Promise<Sdk> | undefined;

export function loadSdk(): Promise<Sdk> {
  // The SDK warns on every Node < 22 at its first client; zarrify supports Node 20, and the
  // warning would land in the middle of the CLI's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  sdkPromise ??= import("@aws-sdk/client-s3");
  return sdkPromise;
}

export function envFlag(name: string): boolean | undefined {
  const v = process.env[name]?.trim().toLowerCase();
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  return undefined;
}

/** The endpoint a client uses: the option, else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL. */
export function s3Endpoint(option?: string): string | undefined {
  const endpoint = option ?? (process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL);
  return endpoint || undefined;
}

/** Path-style addressing: the option, else AWS_S3_FORCE_PATH_STYLE, else whether an endpoint is set. */
export function s3PathStyle(option: boolean | undefined, endpoint: string | undefined): boolean {
  return option ?? envFlag("AWS_S3_FORCE_PATH_STYLE") ?? endpoint !== undefined;
}

export interface S3ClientSettings {
  endpoint?: string;
  region?: string;
  forcePathStyle: boolean;
  /** Sockets per agent (the caller's bound on requests in flight). */
  maxSockets: number;
  /** Whole request, response included; connection setup. */
  requestTimeoutMs: number;
  connectTimeoutMs: number;
}

/** No region in the options, the environment or the profile, and no custom endpoint. */
export class NoRegionError extends Error {
  override name = "NoRegionError";
}

/** A client for `settings`; NoRegionError when AWS itself is meant and no region is known. */
export async function makeS3Client(settings: S3ClientSettings): Promise<S3Client> {
  const sdk = await loadSdk();
  const agentOptions = { keepAlive: true, maxSockets: settings.maxSockets };
  const make = (region: string | undefined) =>
    new sdk.S3Client({
      region,
      endpoint: settings.endpoint,
      forcePathStyle: settings.forcePathStyle,
      maxAttempts: 1,
      requestHandler: {
        requestTimeout: settings.requestTimeoutMs,
        connectionTimeout: settings.connectTimeoutMs,
        throwOnRequestTimeout: true,
        httpAgent: new HttpAgent(agentOptions),
        httpsAgent: new HttpsAgent(agentOptions),
      },
    });
  const client = make(settings.region);
  try {
    await client.config.region();
    return client;
  } catch (err) {
    client.destroy();
    if (settings.endpoint !== undefined) return make("us-east-1");
    throw new NoRegionError("no AWS region is configured", { cause: err });
  }
}
