#!/usr/bin/env node
// The `orchard` CLI runs the builder's TypeScript through tsx: no build step between
// `npm ci` and `npx orchard`.
import { register } from 'tsx/esm/api'

register()
await import('../builder/src/cli/main.ts')
