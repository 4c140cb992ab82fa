/** Saves a fetched file (fetched with the session's key, so not a plain link) under `name`. */
export function saveBlob(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  // The download starts from the click; the URL is released once it surely has.
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
