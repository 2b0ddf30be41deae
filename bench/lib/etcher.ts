/** The baseline of the flash benches: etcher-sdk's own decompress-then-flash of an image to files, verified, no trim. */
import { multiWrite, sourceDestination } from 'etcher-sdk'

export async function etcherFlashToFiles(image: string, outputs: string[]): Promise<void> {
  const result = await multiWrite.decompressThenFlash({
    source: new sourceDestination.File({ path: image }),
    destinations: outputs.map((p) => new sourceDestination.File({ path: p, write: true })),
    onFail: (_destination, error) => {
      throw error
    },
    onProgress: () => {},
    verify: true,
  })
  if (result.failures.size) throw new Error('etcher-sdk failed a destination')
}
