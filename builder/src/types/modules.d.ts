// Minimal types for the untyped filesystem libraries, covering only what we call.
declare module 'ext2fs' {
  import type { Disk } from 'file-disk'
  import type { Stats } from 'node:fs'
  /** libext2fs's promise API: node-like, but `open` returns a numeric fd. */
  export interface ExtPromises {
    readFile(path: string): Promise<Buffer>
    readFile(path: string, encoding: 'utf8'): Promise<string>
    writeFile(path: string, data: Buffer | string): Promise<void>
    mkdir(path: string): Promise<void>
    rmdir(path: string): Promise<void>
    readdir(path: string): Promise<string[]>
    unlink(path: string): Promise<void>
    rename(from: string, to: string): Promise<void>
    chmod(path: string, mode: number): Promise<void>
    chown(path: string, uid: number, gid: number): Promise<void>
    lchown(path: string, uid: number, gid: number): Promise<void>
    stat(path: string): Promise<Stats>
    lstat(path: string): Promise<Stats>
    symlink(target: string, path: string): Promise<void>
    readlink(path: string): Promise<string>
    /** A handle object; `read` and `close` take its numeric `fd`. */
    open(path: string, flags: string): Promise<{ fd: number }>
    read(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>
    close(fd: number): Promise<void>
  }
  export function withMountedDisk<T>(disk: Disk, offset: number, fn: (fs: { promises: ExtPromises }) => Promise<T>): Promise<T>
}

declare module 'lzma-native' {
  export function createDecompressor(): NodeJS.ReadWriteStream
  export function createCompressor(options: { threads?: number; preset?: number }): NodeJS.ReadWriteStream
}

declare module 's3rver' {
  export default class S3rver {
    constructor(options: { address?: string; port?: number; silent?: boolean; directory?: string; resetOnClose?: boolean; configureBuckets?: { name: string }[] })
    run(): Promise<{ address: string; port: number }>
    close(): Promise<void>
  }
}
