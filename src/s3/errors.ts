/**
 * What an S3 error means, for the store and for s3:// inputs: whether it is worth retrying, and
 * the one-line reason and hint a user gets when it is not (or when the retries ran out).
 */

interface S3Err {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

export function errInfo(err: unknown): {
  name: string;
  status?: number;
  code?: string;
  message: string;
} {
  const e = (err ?? {}) as S3Err;
  return {
    name: e.Code ?? e.name ?? "Error",
    status: e.$metadata?.httpStatusCode,
    code: e.code,
    message: e.message ?? String(err),
  };
}

const THROTTLING = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "ProvisionedThroughputExceededException",
  "BandwidthLimitExceeded",
  "EC2ThrottledException",
]);
const TRANSIENT_NAMES = new Set([
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "InternalError",
  "ServiceUnavailable",
  "ConditionalRequestConflict",
  "OperationAborted",
  "TruncatedBody",
]);
/** Connection failures by their Node (and undici) error codes. */
export const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "UND_ERR_SOCKET",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

export function isNetworkError(err: unknown): boolean {
  const { code, message, status } = errInfo(err);
  // A body that broke off is a connection failure whatever status came before it: the SDK then
  // reports "aborted ... Deserialization error" with that status (a 404's error document cut in
  // half is not an answer). Retrying is safe: conditional writes recognise their own on a 412.
  if (
    /socket hang up|aborted|premature close|ECONNRESET|EPIPE|Deserialization error/i.test(message)
  )
    return true;
  if (status !== undefined) return false;
  return code !== undefined && NETWORK_CODES.has(code);
}

export function isRetryable(err: unknown): boolean {
  const { name, status } = errInfo(err);
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (THROTTLING.has(name) || TRANSIENT_NAMES.has(name)) return true;
  if (status === 409 && name === "ConditionalRequestConflict") return true;
  if (isNetworkError(err)) return true;
  // The SDK's own verdict (it marks throttling and transient errors), when it has one.
  return (err as S3Err | undefined)?.$retryable !== undefined && status === undefined;
}

export const isPreconditionFailed = (err: unknown): boolean => {
  const { name, status } = errInfo(err);
  return status === 412 || name === "PreconditionFailed";
};
export const isNoSuchKey = (err: unknown): boolean => {
  const { name, status } = errInfo(err);
  return name === "NoSuchKey" || (status === 404 && name === "NotFound");
};
export const isNoSuchBucket = (err: unknown): boolean => errInfo(err).name === "NoSuchBucket";

export interface FailureContext {
  bucket: string;
  endpoint?: string;
  /** Attempts made, when the request was retried. */
  attempts?: number;
  /** The permissions the caller needs, for the access-denied hint ("s3:GetObject on the bucket"). */
  permissions: string;
  /** What to do when the server kept failing. */
  busyHint: string;
}

/**
 * The reason and hint of a failed request a user can act on (no bucket, no or bad credentials,
 * another region, no connection, a server that kept failing), else the error's own name.
 */
export function describeS3Failure(
  err: unknown,
  ctx: FailureContext,
): { reason: string; hint?: string } {
  const info = errInfo(err);
  const at = ctx.endpoint ? ` at ${ctx.endpoint}` : "";
  const tried =
    ctx.attempts !== undefined && ctx.attempts > 1 ? ` after ${ctx.attempts} attempts` : "";
  if (isNoSuchBucket(err)) {
    return {
      reason: `the bucket "${ctx.bucket}" does not exist${at}`,
      hint: `create it (aws s3 mb s3://${ctx.bucket}), or check the bucket name${
        ctx.endpoint ? " and AWS_ENDPOINT_URL" : " and AWS_REGION"
      }`,
    };
  }
  if (
    info.name === "CredentialsProviderError" ||
    /Could not load credentials/i.test(info.message)
  ) {
    return {
      reason: "no AWS credentials were found",
      hint: "set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run `aws configure`",
    };
  }
  if (
    [
      "InvalidAccessKeyId",
      "SignatureDoesNotMatch",
      "ExpiredToken",
      "InvalidToken",
      "TokenRefreshRequired",
      "AccessDenied",
      "AllAccessDisabled",
      "Forbidden",
    ].includes(info.name) ||
    info.status === 403
  ) {
    return {
      reason: `access denied (${info.name}${info.name === info.message ? "" : `: ${info.message}`})`,
      hint: `check the credentials the AWS SDK finds (AWS_PROFILE, AWS_ACCESS_KEY_ID, ~/.aws/credentials; \`aws sts get-caller-identity\` shows whose they are): they need ${ctx.permissions}`,
    };
  }
  if (
    [
      "PermanentRedirect",
      "AuthorizationHeaderMalformed",
      "IllegalLocationConstraintException",
    ].includes(info.name) ||
    info.status === 301
  ) {
    return {
      reason: "the bucket is in another region",
      hint: "set AWS_REGION to the bucket's region (aws s3api get-bucket-location --bucket NAME)",
    };
  }
  if (info.code === "ENOTFOUND" || isNetworkError(err) || info.name === "TimeoutError") {
    return {
      reason: `cannot reach ${ctx.endpoint ?? "S3"} (${info.code ?? info.name})${tried}`,
      hint: ctx.endpoint
        ? "check AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3) and that the server is running and reachable"
        : "check the network connection and AWS_REGION",
    };
  }
  if (isRetryable(err)) {
    return {
      reason: `the server kept failing (${info.status ?? ""} ${info.name})${tried}`.replace(
        "( ",
        "(",
      ),
      hint: ctx.busyHint,
    };
  }
  return {
    reason: `${info.name}${info.message && info.message !== info.name ? `: ${info.message}` : ""}`,
  };
}
