/**
 * Time zone, locale and keyboard layout: cloud-init's where cloud-init applies settings, else
 * first_run_setup.sh's. The locale is first_run_setup.sh's everywhere: Debian's cloud-init runs
 * `locale-gen <locale>`, which Debian's locale-gen ignores (it reads /etc/locale.gen), so
 * `update-locale` then refuses a locale never generated; Raspberry Pi's own cloud-init calls
 * raspi-config instead, and Imager 2 leaves the locale out of user-data.
 */
import { z } from 'zod'
import { quote } from '../customize/shell'
import { defineFeature } from './feature'

export const locale = defineFeature({
  id: 'locale',
  title: 'Time zone, locale and keyboard',
  system: {
    timezone: z.string().regex(/^(UTC|[A-Za-z]+(\/[A-Za-z0-9_+-]+){1,2})$/, 'must be a tz database name, e.g. Europe/London').optional(),
    locale: z.string().regex(/^[a-z]{2,3}_[A-Z]{2}(\.UTF-8)?$/, 'must be a locale such as en_GB.UTF-8').optional(),
    keyboard: z.string().regex(/^[a-z]{2,8}$/, 'must be an XKB layout such as gb or us').optional(),
  },
  firstRun: ({ system }, { traits }) => {
    const cloudInit = traits.firstBoot === 'cloud-init'
    const { locale } = system
    const { timezone, keyboard } = cloudInit ? {} : system
    const parts: string[] = []
    if (timezone) {
      parts.push(`# --- timezone ---
if [ -e ${quote(`/usr/share/zoneinfo/${timezone}`)} ]; then
  ln -sf ${quote(`/usr/share/zoneinfo/${timezone}`)} /etc/localtime && echo ${quote(timezone)} > /etc/timezone && log "timezone ${timezone}"
else
  fail "timezone ${timezone}: no /usr/share/zoneinfo/${timezone} (is tzdata installed?)"
fi
`)
    }
    if (locale) {
      const charset = locale.endsWith('.UTF-8') ? 'UTF-8' : 'ISO-8859-1'
      parts.push(`# --- locale ---
if [ -f /etc/locale.gen ]; then
  sed -i ${quote(`s/^# *\\(${locale.replace('.', '\\.')} \\)/\\1/`)} /etc/locale.gen
  grep -q ${quote(`^${locale} `)} /etc/locale.gen || echo ${quote(`${locale} ${charset}`)} >> /etc/locale.gen
  have locale-gen && { locale-gen --keep-existing >/dev/null || fail "locale-gen"; }
fi
echo ${quote(`LANG=${locale}`)} > /etc/default/locale
log "locale ${locale}"
`)
    }
    if (keyboard) {
      // Raspberry Pi OS's own tool where it is there (what Imager's firstrun.sh calls), else
      // the file every keyboard consumer reads (console, X, Wayland), and the console's cached
      // keymap remade so the layout holds from the next boot on, not only now. Not
      // dpkg-reconfigure: keyboard-configuration's config reads this file over its debconf
      // answers anyway, and it cost 30 s of a first boot under emulation.
      parts.push(`# --- keyboard ---
if [ -x /usr/lib/raspberrypi-sys-mods/imager_custom ]; then
  /usr/lib/raspberrypi-sys-mods/imager_custom set_keymap ${quote(keyboard)} || fail "keyboard ${keyboard}"
else
  if [ -f /etc/default/keyboard ]; then
    sed -i ${quote(`s/^XKBLAYOUT=.*/XKBLAYOUT="${keyboard}"/`)} /etc/default/keyboard
  else
    printf 'XKBMODEL="pc105"\\nXKBLAYOUT="%s"\\nXKBVARIANT=""\\nXKBOPTIONS=""\\nBACKSPACE="guess"\\n' ${quote(keyboard)} > /etc/default/keyboard
  fi
  have setupcon && { setupcon -k --force --save >/dev/null 2>&1 || log "keyboard: setupcon failed, the file is set"; }
fi
log "keyboard ${keyboard}"
`)
    }
    return parts.join('\n')
  },
  cloudConfig: ({ system }) => ({
    ...(system.timezone && { timezone: system.timezone }),
    ...(system.keyboard && { keyboard: { model: 'pc105', layout: system.keyboard } }),
  }),
  describe: ({ system }) => [
    ...(system.timezone ? [`timezone ${system.timezone}`] : []),
    ...(system.locale ? [`locale ${system.locale}`] : []),
    ...(system.keyboard ? [`keyboard ${system.keyboard}`] : []),
  ],
  example: { system: { timezone: 'Europe/London', locale: 'en_GB.UTF-8', keyboard: 'gb' } },
})
