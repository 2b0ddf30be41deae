/**
 * The image a flash reads and the cards and files it writes, each failing its next I/O once
 * `signal` is aborted: etcher-sdk has no cancel of its own, a flash running inside the app's
 * process cannot be ended by ending a process, and one job in a shared writer must stop
 * alone. Guarding the source alone is not enough: etcher-sdk reads ahead of a slow card and
 * verifies by reading the card back, so only the destinations' own I/O stops those at once.
 */
import { sourceDestination } from 'etcher-sdk'

type BlockDeviceOptions = ConstructorParameters<typeof sourceDestination.BlockDevice>[0]

export class AbortableFile extends sourceDestination.File {
  constructor(
    path: string,
    private readonly signal?: AbortSignal,
    { write = false }: { write?: boolean } = {},
  ) {
    super({ path, write })
  }

  override async read(buffer: Buffer, bufferOffset: number, length: number, sourceOffset: number): ReturnType<sourceDestination.File['read']> {
    this.signal?.throwIfAborted()
    return super.read(buffer, bufferOffset, length, sourceOffset)
  }

  override async write(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): ReturnType<sourceDestination.File['write']> {
    this.signal?.throwIfAborted()
    return super.write(buffer, bufferOffset, length, fileOffset)
  }
}

export class AbortableBlockDevice extends sourceDestination.BlockDevice {
  constructor(
    options: BlockDeviceOptions,
    private readonly signal?: AbortSignal,
  ) {
    super(options)
  }

  override async read(buffer: Buffer, bufferOffset: number, length: number, sourceOffset: number): ReturnType<sourceDestination.BlockDevice['read']> {
    this.signal?.throwIfAborted()
    return super.read(buffer, bufferOffset, length, sourceOffset)
  }

  override async write(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): ReturnType<sourceDestination.BlockDevice['write']> {
    this.signal?.throwIfAborted()
    return super.write(buffer, bufferOffset, length, fileOffset)
  }
}
