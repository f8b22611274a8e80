// The pipeline worker's spill file (src/core/pipeline/spill.ts) in the origin-private file system: a synchronous
// access handle, which only dedicated workers have. One file per calibration, deleted when it is replaced;
// files left by a tab that closed are deleted at the next spill (a live tab's file is locked and stays).
import type { SpillFile } from '../core/pipeline/index';

const PREFIX = 'fgmp-spill-';

/** FileSystemSyncAccessHandle as far as it is used (the DOM typings this project compiles with lack it). */
interface SyncHandle {
  write(buffer: Uint8Array, options: { at: number }): number;
  read(buffer: Uint8Array, options: { at: number }): number;
  flush(): void;
  close(): void;
}

interface Directory {
  getFileHandle(
    name: string,
    options: { create: boolean },
  ): Promise<{ createSyncAccessHandle?: () => Promise<SyncHandle> }>;
  removeEntry(name: string): Promise<void>;
  keys(): AsyncIterableIterator<string>;
}

let swept = false;

/** A new spill file, or null where this global scope has no origin-private file system with sync handles. */
export async function openSpillFile(): Promise<SpillFile | null> {
  const storage = (globalThis as { navigator?: { storage?: { getDirectory?: () => Promise<unknown> } } }).navigator
    ?.storage;
  if (!storage?.getDirectory) return null;
  const root = (await storage.getDirectory()) as Directory;
  if (!swept) {
    swept = true;
    for await (const name of root.keys())
      if (name.startsWith(PREFIX)) await root.removeEntry(name).catch(() => undefined);
  }
  const name = `${PREFIX}${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  const file = await root.getFileHandle(name, { create: true });
  if (!file.createSyncAccessHandle) {
    await root.removeEntry(name).catch(() => undefined);
    return null;
  }
  const h = await file.createSyncAccessHandle();
  return {
    write: (bytes, at) => h.write(bytes, { at }),
    read: (into, at) => h.read(into, { at }),
    flush: () => h.flush(),
    close: () => {
      h.close();
      void root.removeEntry(name).catch(() => undefined);
    },
  };
}
