/** A finished build: where the image is, its size and SHA256, and what went into it. */
import type { BuildOutput } from '@common/contract'
import { formatBytes } from '../../ui/format'
import { ShowInFolder } from '../../ui/ShowInFolder'

export function BuildResult({ output, onUse }: { output: BuildOutput; onUse: (image: string) => void }) {
  return (
    <section className="result" aria-label="Build result">
      <h3>Image built</h3>
      <dl>
        <dt>Image</dt>
        <dd>
          <code>{output.image}</code> <ShowInFolder path={output.image} />
        </dd>
        {output.compressed && (
          <>
            <dt>Compressed</dt>
            <dd><code>{output.compressed}</code></dd>
          </>
        )}
        <dt>Size</dt>
        <dd>{formatBytes(output.bytes)}</dd>
        <dt>SHA256</dt>
        <dd><code aria-label="Image SHA256">{output.sha256}</code></dd>
        {output.dockerImage && (
          <>
            <dt>Docker image</dt>
            <dd>
              <code>{output.dockerImage.pushed ?? output.dockerImage.reference}</code> ({formatBytes(output.dockerImage.compressedBytes)} compressed,{' '}
              {formatBytes(output.dockerImage.uncompressedBytes)} uncompressed)
            </dd>
          </>
        )}
        <dt>Release</dt>
        <dd>{output.release}</dd>
        <dt>Build info</dt>
        <dd>
          <code>{output.buildInfoFile}</code>
          <ul aria-label="Customizations">
            {output.customizations.map((item) => <li key={item}>{item}</li>)}
          </ul>
        </dd>
      </dl>
      <button type="button" className="primary" onClick={() => onUse(output.compressed ?? output.image)}>
        Flash this image
      </button>
    </section>
  )
}
