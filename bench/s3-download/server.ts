/** An s3rver in its own process (as S3 is elsewhere): prints its endpoint, serves until stdin closes. */
import { startS3 } from '../../builder/src/testing/s3'

const s3 = await startS3(['bench'])
process.stdout.write(`${s3.endpoint}\n`)
process.stdin.resume()
process.stdin.on('end', () => void s3.close().then(() => process.exit(0)))
