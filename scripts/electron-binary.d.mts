export function findElectronBinary(): string | null
export const ELECTRON_INSTALL_SCRIPT: string
