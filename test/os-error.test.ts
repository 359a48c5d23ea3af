import { describe, expect, it } from "vitest";
import { ConversionError, InputError } from "../src/errors.js";
import { asUserError, describeOsError, isOsError } from "../src/os-error.js";

function osError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: something, ${syscall} '${path}'`), {
    code,
    syscall,
    path,
  });
}

describe("OS errors", () => {
  it("recognises Node's errno errors only", () => {
    expect(isOsError(osError("EACCES", "open", "/x"))).toBe(true);
    expect(isOsError(new Error("plain"))).toBe(false);
    expect(isOsError(Object.assign(new Error("x"), { code: "ERR_INVALID_ARG_TYPE" }))).toBe(false);
  });

  it("says what happened to which path, and what to do", () => {
    expect(describeOsError(osError("EROFS", "mkdir", "/ro/a.zarr"))).toEqual({
      message: "/ro/a.zarr: read-only file system (mkdir)",
      hint: "write to a location on a writable file system",
    });
    expect(describeOsError(osError("EACCES", "open", "/in.nc"), { reading: true }).hint).toMatch(
      /file's permissions/,
    );
    // An errno without advice keeps Node's words, without the repeated code and path.
    expect(describeOsError(osError("ESTALE", "open", "/nfs/a")).message).toBe(
      "/nfs/a: something (open)",
    );
  });

  it("becomes a ConversionError (writing) or an InputError (reading); other errors pass through", () => {
    const w = asUserError(osError("ENOSPC", "write", "/full/x"), { context: "cannot write" });
    expect(w).toBeInstanceOf(ConversionError);
    expect((w as Error).message).toBe("cannot write: /full/x: no space left on the device (write)");
    const r = asUserError(osError("EACCES", "open", "/in.nc"), { reading: true });
    expect(r).toBeInstanceOf(InputError);
    expect((r as InputError).path).toBe("/in.nc");
    const plain = new Error("bug");
    expect(asUserError(plain)).toBe(plain);
  });
});
