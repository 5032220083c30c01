// SandboxFiles.write writes a whole file aside and renames it into place, so that no reader sees
// half a file. A watcher then sees a name come (a rename), which alone reads as a new file; the
// providers write in place, and their watchers say WRITE for a file that was there. The writer
// notes here, for a moment, whether the file it replaced existed, and the watcher reads it.

/** How long a note is kept: the watcher reads it as soon as the rename's event comes. */
const KEEP_MS = 10_000;
/** Notes at most, however many writes come with no watcher to read them. */
const MAX_NOTES = 10_000;

const notes = new Map<string, { existed: boolean; at: number }>();

/** Before the rename into place: whether a file stood at `host` already. */
export function noteReplaced(host: string, existed: boolean): void {
  const now = Date.now();
  notes.delete(host);
  notes.set(host, { existed, at: now });
  // Oldest first (insertion order): drop what is stale, and the oldest beyond the bound.
  for (const [key, note] of notes) {
    if (notes.size <= MAX_NOTES && now - note.at < KEEP_MS) break;
    notes.delete(key);
  }
}

/** Whether the write that renamed a file into `host` replaced one; undefined when no write did. */
export function wasReplaced(host: string): boolean | undefined {
  const note = notes.get(host);
  return note && Date.now() - note.at < KEEP_MS ? note.existed : undefined;
}
