/**
 * The image a flash reads, failing its next read once `signal` is aborted: etcher-sdk has no
 * cancel of its own, and a flash running inside the app's process cannot be ended by ending
 * a process.
 */
import { sourceDestination } from 'etcher-sdk'

export class AbortableFile extends sourceDestination.File {
  constructor(
    path: string,
    private readonly signal?: AbortSignal,
  ) {
    super({ path })
  }

  override async read(buffer: Buffer, bufferOffset: number, length: number, sourceOffset: number): ReturnType<sourceDestination.File['read']> {
    this.signal?.throwIfAborted()
    return super.read(buffer, bufferOffset, length, sourceOffset)
  }
}
