/**
 * The SSH server: on or off and password login or keys only (where cloud-init applies
 * settings, as Imager 2 writes them: `ssh_pwauth`, and a `runcmd` entry that enables the unit,
 * since cc_ssh never does; elsewhere first_run_setup.sh), and host keys made on each device by
 * first_run_setup.sh everywhere.
 */
import { z } from 'zod'
import { defineFeature } from './feature'

// Enabled for the next boots without a daemon-reload: sshswitch may have started sshd and made
// the sshd.service alias already, and systemd 257 can then lose the running unit's state at a
// reload (systemd/systemd#39703), leaving that sshd untracked and a new one unable to bind port 22.
// Then it joins a start already queued (sshswitch queues one for the ssh flag file) and has sshd
// re-read the new host keys in place (SIGHUP). Without a running systemd (a build, not a boot) it
// starts at the next boot.
const SSH_ENABLE = `  systemctl enable --no-reload ssh >/dev/null 2>&1 || fail "enable ssh"
  if systemctl start ssh >/dev/null 2>&1; then
    systemctl reload ssh >/dev/null 2>&1 || systemctl restart ssh >/dev/null 2>&1 || fail "ssh: load the new host keys"
  else
    log "ssh starts at the next boot"
  fi`

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
${ssh.enable ? SSH_ENABLE : '  systemctl disable --now ssh >/dev/null 2>&1 || true'}
fi
log "ssh ${ssh.enable ? 'enabled' : 'disabled'}"
`
  },
  // Not `enable_ssh`: no cloud-init knows it (Imager dropped it in 2026-04, rpi-imager 2c428de).
  cloudConfig: ({ ssh }) => (ssh ? { ssh_pwauth: ssh.passwordAuth, runcmd: [['systemctl', ssh.enable ? 'enable' : 'disable', '--now', 'ssh']] } : {}),
  // Raspberry Pi OS enables sshd at boot when this file exists (and deletes it).
  bootFiles: ({ ssh }, { traits }) => (ssh?.enable && traits.openssh && traits.firstBoot !== 'cloud-init' ? [{ path: '/ssh', content: '' }] : []),
  describe: ({ ssh }) => (ssh ? [`ssh ${ssh.enable ? 'enabled' : 'disabled'}, password login ${ssh.passwordAuth ? 'on' : 'off'}`] : []),
  example: { ssh: { enable: true, passwordAuth: false } },
})
