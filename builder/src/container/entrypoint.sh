#!/bin/sh
# The builder image's entrypoint: the orchard CLI, after one preparation for chroot builds.
# ARM code runs through the host kernel's binfmt_misc entries (qemu-user with flag F), but a
# container's /proc does not show them: mount binfmt_misc where the builder looks for it.
# binfmt_misc is not namespaced, so this is the host's table; it needs CAP_SYS_ADMIN (the
# flags chroot builds run with) and is skipped quietly without it.
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
fi
exec node /opt/orchard/bin/orchard.js "$@"
