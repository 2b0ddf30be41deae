/**
 * The SSH server: on or off and password login or keys only (cloud-init's `enable_ssh` and
 * `ssh_pwauth` where cloud-init applies settings, as Imager writes them; elsewhere
 * first_run_setup.sh), and host keys made on each device by first_run_setup.sh everywhere.
 */
import { z } from 'zod'
import { defineFeature } from './feature'

const SSH_ENABLE = `  systemctl enable ssh >/dev/null 2>&1 || fail "enable ssh"
  # Picks up the new host keys now; without a running systemd it starts at the next boot.
  systemctl restart ssh >/dev/null 2>&1 || log "ssh starts at the next boot"`

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
    if (traits.firstBoot === 'cloud-init') return `${hostKeys}have systemctl && systemctl try-restart ssh >/dev/null 2>&1 || true
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
${ssh.enable ? SSH_ENABLE : '  systemctl disable --now ssh >/dev/null 2>&1 || true'}
fi
log "ssh ${ssh.enable ? 'enabled' : 'disabled'}"
`
  },
  cloudConfig: ({ ssh }) => (ssh ? { enable_ssh: ssh.enable, ssh_pwauth: ssh.passwordAuth } : {}),
  // Raspberry Pi OS enables sshd at boot when this file exists (and deletes it).
  bootFiles: ({ ssh }, { traits }) => (ssh?.enable && traits.openssh && traits.firstBoot !== 'cloud-init' ? [{ path: '/ssh', content: '' }] : []),
  describe: ({ ssh }) => (ssh ? [`ssh ${ssh.enable ? 'enabled' : 'disabled'}, password login ${ssh.passwordAuth ? 'on' : 'off'}`] : []),
  example: { ssh: { enable: true, passwordAuth: false } },
})
