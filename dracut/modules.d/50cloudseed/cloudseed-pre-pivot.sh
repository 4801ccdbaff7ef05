#!/bin/sh
# dracut pre-pivot hook for an initrd without systemd: phase 2, the root is
# mounted on $NEWROOT. Sourced by dracut's init: no "exit" here.
if ! /usr/lib/cloudseed/cloudseed-initrd handoff "${NEWROOT:-/sysroot}"; then
    emergency_shell -n cloudseed "cloudseed failed and cloudseed.required is set"
fi
