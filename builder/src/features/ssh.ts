/**
 * The SSH server: on or off and password login or keys only (where cloud-init applies
 * settings, as Imager 2 writes them: `ssh_pwauth`, and a `runcmd` entry that enables the unit,
 * since cc_ssh never does; elsewhere first_run_setup.sh alone: not also Raspberry Pi OS's `ssh`
 * flag file, whose sshswitch would start sshd at a moment of its own), and host keys made on each
 * device by first_run_setup.sh everywhere.
 */
import { z } from 'zod'
import { defineFeature } from './feature'

// Enabled with its daemon-reload before sshd runs: on Trixie that reload makes openssh's
// sshd.service alias one unit with ssh.service (sshd-keygen.service keeps a dead sshd.service loaded
// until then). Done while sshd runs, systemd 257 can give the merged unit the dead one's state
// (systemd/systemd#39703): that sshd is left untracked and the next cannot bind port 22. Then sshd
// starts, or, if something started it already, re-reads the new host keys in place (SIGHUP).
// Without a running systemd (a build, not a boot) it starts at the next boot. SYSTEMCTL_SKIP_SYSV (on and off):
// ssh.service is a native unit, and syncing openssh's SysV script too (update-rc.d) costs two more
// daemon-reloads (25 s of a first boot under emulation) for rc links only sysvinit reads.
const SSH_ENABLE = `  SYSTEMCTL_SKIP_SYSV=1 systemctl enable ssh >/dev/null 2>&1 || fail "enable ssh"
  if systemctl start ssh >/dev/null 2>&1; then
    systemctl reload ssh >/dev/null 2>&1 || systemctl restart ssh >/dev/null 2>&1 || fail "ssh: load the new host keys"
  else
    log "ssh starts at the next boot"
  fi`

/** cloud-init's runcmd entry that switches the server on or off. */
export const SSH_RUNCMD = (enable: boolean): string[] => ['env', 'SYSTEMCTL_SKIP_SYSV=1', 'systemctl', enable ? 'enable' : 'disable', '--now', 'ssh']

export const ssh = defineFeature({
  id: 'ssh',
  title: 'SSH',
  schema: {
    ssh: z
      .object({ enable: z.boolean().default(true), passwordAuth: z.boolean().default(false) })
      .strict()
      .optional(),
  },
  firstRun: ({ ssh }, { traits }) => {
    if (!ssh) return ''
    if (!traits.openssh) return `log "ssh requested but openssh-server is not installed in this image"\n`
    const hostKeys = `# --- ssh ---
# Host keys baked into the image would be shared by every device: make this device's own.
rm -f /etc/ssh/ssh_host_*_key /etc/ssh/ssh_host_*_key.pub
ssh-keygen -A || fail "ssh host keys"
`
    // cloud-init's runcmd starts the server later (its final stage waits for this runner).
    if (traits.firstBoot === 'cloud-init') return `${hostKeys}have systemctl && systemctl try-reload-or-restart ssh >/dev/null 2>&1 || true
log "ssh host keys made"
`
    // sshd keeps the first value it reads: the drop-in counts only where sshd_config includes
    // the folder before its own settings (Debian's does, first line; an older or edited one may not).
    return `${hostKeys}mkdir -p /etc/ssh/sshd_config.d
echo 'PasswordAuthentication ${ssh.passwordAuth ? 'yes' : 'no'}' > /etc/ssh/sshd_config.d/50-orchard.conf
if [ -f /etc/ssh/sshd_config ] && ! grep -qs '^Include /etc/ssh/sshd_config.d/' /etc/ssh/sshd_config; then
  sed -i '1i Include /etc/ssh/sshd_config.d/*.conf' /etc/ssh/sshd_config || fail "ssh: include sshd_config.d"
fi
if have systemctl; then
${ssh.enable ? SSH_ENABLE : '  SYSTEMCTL_SKIP_SYSV=1 systemctl disable --now ssh >/dev/null 2>&1 || true'}
fi
log "ssh ${ssh.enable ? 'enabled' : 'disabled'}"
`
  },
  // Not `enable_ssh`: no cloud-init knows it (Imager dropped it in 2026-04, rpi-imager 2c428de).
  // Imager's runcmd line, without the SysV sync (SYSTEMCTL_SKIP_SYSV, as above).
  cloudConfig: ({ ssh }) => (ssh ? { ssh_pwauth: ssh.passwordAuth, runcmd: [SSH_RUNCMD(ssh.enable)] } : {}),
  describe: ({ ssh }) => (ssh ? [`ssh ${ssh.enable ? 'enabled' : 'disabled'}, password login ${ssh.passwordAuth ? 'on' : 'off'}`] : []),
  example: { ssh: { enable: true, passwordAuth: false } },
})
