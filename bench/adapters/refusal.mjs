// What every adapter's error() does: the OAuth `error` code the library's own error carries
// for the loopback server's 400, read by `code`.

/** Calls `failing()`, which must reject, and returns `code(err)`. */
export async function refusal(failing, code) {
  try {
    await failing();
  } catch (err) {
    return code(err);
  }
  throw new Error("expected an error response");
}
