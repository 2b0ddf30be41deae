/**
 * The Docker daemon the docker executor and the Docker image output talk to: DOCKER_HOST
 * when set (tcp://, unix://, ssh:// as dockerode reads it), else the local socket.
 */
import Docker from 'dockerode'
import { BuildError } from './errors'

export function connectDocker(): Docker {
  return new Docker()
}

export function daemonAddress(): string {
  return process.env.DOCKER_HOST || 'unix:///var/run/docker.sock'
}

/** Why no Docker daemon can be used, or null when one answers. */
export async function dockerUnavailableReason(docker: Docker = connectDocker()): Promise<string | null> {
  try {
    await docker.ping()
    return null
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException
    return `no Docker daemon answers at ${daemonAddress()} (${code ?? message}): start Docker, or point DOCKER_HOST at a daemon`
  }
}

/** A daemon that answers, else UNAVAILABLE saying what needed it and how to get one. */
export async function requireDocker(docker: Docker = connectDocker(), what = 'The docker build mode'): Promise<Docker> {
  const reason = await dockerUnavailableReason(docker)
  if (reason) throw new BuildError('UNAVAILABLE', `${what} needs Docker: ${reason}`)
  return docker
}

/** Waits for a streamed daemon operation (build, import, push, load), handing over each JSON event. */
export function followDaemon(docker: Docker, stream: NodeJS.ReadableStream, onEvent: (event: DaemonEvent) => void): Promise<DaemonEvent[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, events: DaemonEvent[]) => (error ? reject(error) : resolve(events)), onEvent)
  })
}

export interface DaemonEvent {
  stream?: string
  status?: string
  error?: string
  errorDetail?: { message?: string; code?: number }
  aux?: { ID?: string; Digest?: string; Tag?: string; Size?: number }
}
