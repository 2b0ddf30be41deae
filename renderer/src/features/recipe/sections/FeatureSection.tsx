/**
 * One customisation's part of the recipe form: a titled section, marked when it needs a full
 * build. Not named by its heading: "Hostname" must name the hostname field alone.
 */
import type { ReactNode } from 'react'

export function FeatureSection({ id, title, fullBuild, children }: { id: string; title: string; fullBuild: boolean; children: ReactNode }) {
  return (
    <section data-feature={id}>
      <h3>
        {title}
        {fullBuild && (
          <span className="badge full-build" title="Runs ARM code in the image: a full build (local Docker, chroot or cloud)">
            full build
          </span>
        )}
      </h3>
      {children}
    </section>
  )
}
